using System.Collections.Concurrent;
using DualStack.Core.Model;
using DualStack.Core.Stacks;

namespace DualStack.Core.Tests.Support;

/// <summary>An in-memory agent stack that records every request (thread-safe) and answers "name:conversation:message".</summary>
internal sealed class FakeStack(string name) : IAgentStack
{
    private readonly ConcurrentQueue<TurnRequest> _requests = new();
    private int _inFlight;
    private int _maxInFlight;
    private int _calls;

    public string Name { get; } = name;

    public Uri BaseAddress { get; } = new("http://127.0.0.1:1/");

    /// <summary>Runs inside each call after it is counted as in flight; receives the 1-based call number.</summary>
    public Func<int, TurnRequest, CancellationToken, Task>? OnCall { get; init; }

    /// <summary>Replaces the default answer.</summary>
    public Func<TurnRequest, StackObservation>? Respond { get; init; }

    public IReadOnlyList<TurnRequest> Requests => _requests.ToArray();

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public int InFlight => Volatile.Read(ref _inFlight);

    public async ValueTask<StackObservation> SendTurnAsync(TurnRequest request, CancellationToken cancellationToken)
    {
        _requests.Enqueue(request);
        var call = Interlocked.Increment(ref _calls);
        var now = Interlocked.Increment(ref _inFlight);
        for (var max = Volatile.Read(ref _maxInFlight); now > max && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max; max = Volatile.Read(ref _maxInFlight))
        {
        }

        try
        {
            if (OnCall is not null)
            {
                await OnCall(call, request, cancellationToken);
            }

            await Task.Yield();
            if (cancellationToken.IsCancellationRequested)
            {
                return new StackObservation { Stack = Name, ConversationId = request.ConversationId, TurnIndex = request.TurnIndex, Error = new ObservationError(ObservationErrorKind.Cancelled, "cancelled") };
            }

            return Respond?.Invoke(request) ?? new StackObservation
            {
                Stack = Name,
                ConversationId = request.ConversationId,
                TurnIndex = request.TurnIndex,
                HttpStatus = 200,
                LatencyMs = 1,
                Reply = $"{Name}:{request.ConversationId}:{request.Message}",
                SkillCalls = [],
            };
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public Task<StackHealth> CheckHealthAsync(CancellationToken cancellationToken) => Task.FromResult(new StackHealth(true, "ok", "fake", 0));

    public void Dispose()
    {
    }
}
