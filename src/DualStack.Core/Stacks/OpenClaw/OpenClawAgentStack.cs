using DualStack.Core.Model;

namespace DualStack.Core.Stacks.OpenClaw;

/// <summary>
/// Adapter for an OpenClaw gateway (<c>POST /v1/chat/completions</c>): each lane's conversation id is the session key
/// (<c>x-openclaw-session-key</c> and <c>user</c>), the agent is chosen by model <c>openclaw/&lt;agentId&gt;</c>; skill
/// calls come from the agent's trajectory store matched by run id (= completion id) when <see cref="StackConfig.StateDir"/>
/// is given, memory writes from diffing the workspace's memory files when <see cref="StackConfig.Workspace"/> is given.
/// Whatever cannot be observed is null with a reason in <see cref="StackObservation.NotObserved"/>.
/// </summary>
/// <remarks>
/// Memory files are shared by every session of the agent, so while memory is observed, turns to this stack run one at a
/// time (A and A′ lanes included) and a diff holds only what that turn's run wrote. The latency measured is the HTTP
/// exchange only, not the wait for the lock or the store.
/// </remarks>
internal sealed class OpenClawAgentStack : IAgentStack
{
    private readonly IAgentStack _chat;
    private readonly TimeProvider _time;
    private readonly string? _databasePath;
    private readonly string? _workspace;
    private readonly TimeSpan _trajectoryWait;
    private readonly SemaphoreSlim? _memoryGate;
    private readonly string _agentId;
    private readonly StackEnvironment? _environment;

    public OpenClawAgentStack(string name, IAgentStack chat, StackConfig config, TimeProvider timeProvider, StackEnvironment? environment = null)
    {
        _environment = environment;
        Name = name;
        _chat = chat;
        _time = timeProvider;
        _agentId = string.IsNullOrWhiteSpace(config.AgentId) ? "main" : config.AgentId;
        _databasePath = string.IsNullOrWhiteSpace(config.StateDir) ? null : OpenClawTrajectory.DatabasePath(config.StateDir, _agentId);
        _workspace = string.IsNullOrWhiteSpace(config.Workspace) ? null : config.Workspace;
        _trajectoryWait = TimeSpan.FromSeconds(config.TrajectoryWaitSeconds > 0 ? config.TrajectoryWaitSeconds : 10);
        _memoryGate = _workspace is null ? null : new SemaphoreSlim(1, 1);
    }

    public string Name { get; }

    public Uri BaseAddress => _chat.BaseAddress;

    public async ValueTask<StackObservation> SendTurnAsync(TurnRequest request, CancellationToken cancellationToken)
    {
        if (_memoryGate is null)
        {
            return await ObserveAsync(request, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await _memoryGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return new StackObservation
            {
                Stack = Name,
                ConversationId = request.ConversationId,
                TurnIndex = request.TurnIndex,
                Environment = _environment,
                Error = new ObservationError(ObservationErrorKind.Cancelled, "cancelled"),
            };
        }

        try
        {
            return await ObserveAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _memoryGate.Release();
        }
    }

    public Task<StackHealth> CheckHealthAsync(CancellationToken cancellationToken) => _chat.CheckHealthAsync(cancellationToken);

    public void Dispose()
    {
        _chat.Dispose();
        _memoryGate?.Dispose();
    }

    private async Task<StackObservation> ObserveAsync(TurnRequest request, CancellationToken cancellationToken)
    {
        var notObserved = new Dictionary<string, string>(StringComparer.Ordinal);
        WorkspaceMemory? before = null;
        if (_workspace is not null)
        {
            if (Directory.Exists(_workspace))
            {
                before = await WorkspaceMemory.SnapshotAsync(_workspace, _time, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                notObserved["memory"] = $"workspace {_workspace} does not exist";
            }
        }
        else
        {
            notObserved["memory"] = "no workspace configured for the OpenClaw adapter";
        }

        var observation = await _chat.SendTurnAsync(request, cancellationToken).ConfigureAwait(false);
        // The workspace and state folder are this stack's roots, whatever the inner chat adapter was told.
        observation = observation with { Stack = Name, Environment = _environment ?? observation.Environment };
        if (!observation.Succeeded)
        {
            notObserved.TryAdd("skills", "the turn failed");
            notObserved.TryAdd("memory", "the turn failed");
            return observation with { SkillCalls = null, Memory = null, NotObserved = notObserved };
        }

        IReadOnlyList<SkillCall>? skills = null;
        var trajectoryComplete = false;
        if (_databasePath is null)
        {
            notObserved["skills"] = "no stateDir configured for the OpenClaw adapter";
        }
        else if (observation.RunId is not { Length: > 0 } runId)
        {
            notObserved["skills"] = "the gateway's response carries no completion id to match the trajectory";
        }
        else
        {
            try
            {
                var read = await OpenClawTrajectory.ReadSkillCallsAsync(_databasePath, runId, _trajectoryWait, _time, cancellationToken).ConfigureAwait(false);
                skills = read.Calls;
                trajectoryComplete = read.Calls is not null;
                if (read.NotObservedReason is { } reason)
                {
                    notObserved["skills"] = reason;
                }
            }
            catch (OperationCanceledException)
            {
                notObserved["skills"] = "cancelled while reading the trajectory";
            }
        }

        MemoryObservation? memory = null;
        if (before is not null && _workspace is not null)
        {
            try
            {
                var after = await WorkspaceMemory.SnapshotAsync(_workspace, _time, cancellationToken).ConfigureAwait(false);
                memory = new MemoryObservation { Retrieved = null, Written = WorkspaceMemory.Written(before, after) };
                if (!trajectoryComplete && _databasePath is not null)
                {
                    // Without the run's end in the store the agent may still be writing: the diff could be partial.
                    memory = null;
                    notObserved["memory"] = "the run's end was not seen in the trajectory store, so its memory writes may be incomplete";
                }
            }
            catch (OperationCanceledException)
            {
                notObserved["memory"] = "cancelled while reading the workspace";
            }
        }

        return observation with { SkillCalls = skills, Memory = memory, NotObserved = notObserved.Count == 0 ? null : notObserved };
    }
}
