using DualStack.Core.Privacy;
using System.Collections.Concurrent;
using System.Threading.Channels;
using DualStack.Core.Capture;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Routing;
using DualStack.Core.Stacks;
using DualStack.Core.Verdicts;
using Microsoft.Extensions.Logging;

namespace DualStack.Proxy;

/// <summary>A captured turn waiting to be mirrored.</summary>
internal sealed record ShadowWork(string ConversationKey, DateTimeOffset Timestamp, byte[] RequestBody, int PrimaryStatus, byte[] PrimaryBody, double PrimaryLatencyMs, string? PrimaryError);

/// <summary>
/// Mirrors captured turns to the new stack, in conversation order, on a shadow conversation id, and stores both
/// answers (redacted) as a pair for <c>dualstack shadow judge</c>; only with <see cref="ShadowJudgeMode.InProcess"/>
/// does it also compare them here with the engine. Its queues are bounded and separate from the primary path: when the new stack is slow or
/// down, shadow work is dropped and counted. A sampled conversation is mirrored whole or not at all: once one of its
/// turns is dropped or fails on the new stack, the rest of it is dropped (its state on the new stack would no longer
/// match) rather than producing false regressions. A circuit breaker (<see cref="ShadowBreaker"/>) stops sending while
/// the new stack is down and probes it with one turn after each pause. The workers hand each redacted pair to one
/// store writer (<see cref="BatchWriter{TItem, TRecord}"/>, never blocking a worker) that commits them in batches, one
/// transaction per batch; a batch the store refuses is lost and counted, and its conversations go on being mirrored
/// (the new stack's state is unaffected by a lost write).
/// </summary>
internal sealed class ShadowMirror : IAsyncDisposable
{
    private readonly Channel<ShadowWork>[] _queues;
    private readonly Task[] _workers;
    private readonly IAgentStack _shadow;
    private readonly VerdictEngine? _engine;
    private readonly BatchWriter<StoredShadowTurn, StoredShadowTurn>? _store;
    private readonly ProxyMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Redactor _redactor;
    private readonly double _samplePercent;
    private readonly string _tag = Guid.NewGuid().ToString("N")[..6];
    private readonly ConcurrentDictionary<string, int> _turns = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _outOfStep = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    /// <param name="redactor">The capture writer's redactor: every stored comparison goes through it.</param>
    public ShadowMirror(ProxyOptions options, IShadowResultStore? results, ProxyMetrics metrics, ILogger logger, Redactor redactor)
    {
        _redactor = redactor;
        Breaker = new ShadowBreaker(options.ShadowBreakerFailures, options.ShadowBreakerPause, options.ShadowBreakerMaxPause, options.Time, logger);
        Failures = new FailureLog("shadow stack", logger, options.FailureLogInterval);
        StoreFailures = new FailureLog("shadow store", logger, options.FailureLogInterval);
        _shadow = StackFactory.Create("new", new StackConfig { Url = options.Shadow!.AbsoluteUri, Adapter = options.ShadowAdapter }, turnTimeout: options.ShadowTimeout);
        // Out of process by default: the proxy never builds comparers nor holds an embedding model.
        _engine = options.ShadowJudge == ShadowJudgeMode.InProcess ? new VerdictEngine(options.Comparison, options.Semantic) : null;
        _metrics = metrics;
        _logger = logger;
        if (results is not null)
        {
            // Pairs are already redacted (on the workers); the writer only batches them. The same batch size and
            // linger as the capture writer (same file, same commit cost); the queue as deep as the shadow queue.
            _store = new BatchWriter<StoredShadowTurn, StoredShadowTurn>(
                results.AppendAsync,
                static turn => turn,
                new BatchWriterOptions(Math.Max(1, options.ShadowQueueCapacity), options.Capture.BatchSize, options.Capture.BatchLinger),
                "shadow",
                "pair(s)",
                options.Time,
                committed: OnStored,
                failed: (message, ex) => StoreFailures.Record(message, ex));
        }

        _samplePercent = options.ShadowSamplePercent;
        var workers = Math.Max(1, options.ShadowWorkers);
        var perQueue = Math.Max(1, options.ShadowQueueCapacity / workers);
        _queues = Enumerable.Range(0, workers)
            .Select(_ => Channel.CreateBounded<ShadowWork>(new BoundedChannelOptions(perQueue) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait }))
            .ToArray();
        _workers = _queues.Select(q => Task.Run(() => RunAsync(q.Reader))).ToArray();
    }

    /// <summary>Stops sending while the shadow stack is down.</summary>
    public ShadowBreaker Breaker { get; }

    /// <summary>Failed shadow turns, logged rate-limited (one line per interval with a count).</summary>
    public FailureLog Failures { get; }

    /// <summary>Shadow store writes that failed or pairs dropped before the store, logged rate-limited.</summary>
    public FailureLog StoreFailures { get; }

    /// <summary>The batching writer of stored pairs; null without a store (in-process judging only).</summary>
    public BatchWriter<StoredShadowTurn, StoredShadowTurn>? Store => _store;

    /// <summary>Shadow conversation id for a live key: the lane suffix the comparers mask.</summary>
    public string ShadowId(string id) => $"{id}~b~{_tag}";

    public bool IsSampled(string conversationKey) => ConversationHash.IsSelected(conversationKey, _samplePercent);

    /// <summary>
    /// True when a turn of this conversation would be mirrored: sampled, and not out of step. The request path asks
    /// before it copies anything for the shadow, so an unsampled turn costs one hash of the key.
    /// </summary>
    public bool Wants(string conversationKey)
    {
        if (!IsSampled(conversationKey))
        {
            return false;
        }

        if (_outOfStep.ContainsKey(conversationKey))
        {
            _metrics.ShadowDroppedOne();
            return false;
        }

        return true;
    }

    /// <summary>Queues a turn without ever blocking the caller; false (and counted) when dropped.</summary>
    public bool TryEnqueue(ShadowWork work)
    {
        if (_outOfStep.ContainsKey(work.ConversationKey))
        {
            _metrics.ShadowDroppedOne();
            return false;
        }

        var queue = _queues[ConversationHash.Bucket(work.ConversationKey) % _queues.Length];
        if (queue.Writer.TryWrite(work))
        {
            _metrics.ShadowEnqueuedOne();
            return true;
        }

        MarkOutOfStep(work.ConversationKey, "shadow queue full");
        _metrics.ShadowDroppedOne();
        return false;
    }

    private void MarkOutOfStep(string key, string reason)
    {
        if (_outOfStep.Count > 100_000)
        {
            _outOfStep.Clear();
        }

        // Debug only: a dead shadow stack would otherwise log one line per conversation. The counters and the
        // rate-limited failure log say it at warning level.
        if (_outOfStep.TryAdd(key, 0))
        {
            Log.ShadowDropped(_logger, key, reason + "; the rest of this conversation is not mirrored");
        }
    }

    private async Task RunAsync(ChannelReader<ShadowWork> reader)
    {
        try
        {
            await foreach (var work in reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                await MirrorAsync(work).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private async Task MirrorAsync(ShadowWork work)
    {
        try
        {
            if (_outOfStep.ContainsKey(work.ConversationKey))
            {
                _metrics.ShadowDroppedOne();
                return;
            }

            var request = NativeContract.TryParseTurnRequest(work.RequestBody);
            if (request is null)
            {
                return; // not a v1 turn (e.g. malformed client request): nothing to mirror
            }

            if (_turns.Count > 200_000)
            {
                // Bounded memory: forgetting turn counters restarts numbering for long-lived conversations, which only
                // affects the turn index shown in reports, never the comparison.
                _turns.Clear();
            }

            if (!Breaker.TryAcquire())
            {
                // Whole or not at all: a conversation that loses a turn to the open breaker is not resumed later.
                _metrics.ShadowDroppedOne();
                MarkOutOfStep(work.ConversationKey, "shadow stack down (circuit open)");
                return;
            }

            var index = _turns.AddOrUpdate(work.ConversationKey, 0, (_, n) => n + 1);
            var primary = NativeContract.ParseTurnResponse("old", work.ConversationKey, index, work.PrimaryStatus, System.Text.Encoding.UTF8.GetString(work.PrimaryBody), work.PrimaryLatencyMs, work.PrimaryError);
            _metrics.ShadowSentOne();
            var shadow = await _shadow.SendTurnAsync(
                new TurnRequest
                {
                    ConversationId = ShadowId(work.ConversationKey),
                    UserId = ShadowId(request.UserId),
                    Message = request.Message,
                    Channel = request.Channel,
                    Metadata = request.Metadata,
                    TurnIndex = index,
                },
                _stopping.Token).ConfigureAwait(false);
            if (shadow.Error is { } failure)
            {
                if (failure.Kind is ObservationErrorKind.Timeout or ObservationErrorKind.Connection
                    || (failure.Kind == ObservationErrorKind.HttpStatus && shadow.HttpStatus is null or >= 500))
                {
                    Breaker.OnFailure(failure.Message);
                }
                else if (failure.Kind != ObservationErrorKind.Cancelled)
                {
                    Breaker.OnSuccess(); // it answered: up, even if this answer is unusable
                }

                if (failure.Kind != ObservationErrorKind.Cancelled)
                {
                    _metrics.ShadowFailedOne();
                    Failures.Record($"{failure.Kind}: {failure.Message}", null);
                    MarkOutOfStep(work.ConversationKey, "shadow turn failed (" + failure.Kind + ")");
                }
            }
            else
            {
                Breaker.OnSuccess();
            }

            if (_engine is not null)
            {
                var judged = _engine.JudgeTurn(new TurnReplay(index, new Turn { Message = request.Message }, primary, null, shadow));
                _metrics.ShadowComparedOne(judged.Verdict);
                Log.ShadowCompared(_logger, work.ConversationKey, index + 1, judged.Verdict.ToString(), judged.Reason);
            }

            if (_store is not null)
            {
                // Redacted here, on the sender's thread, before it is queued for the store, like the captures: never
                // the user's message or either answer in clear. One worker per conversation queues its turns in order,
                // and the writer keeps queue order, so the turns of a conversation are stored in order.
                var turn = new ShadowTurn(work.ConversationKey, index, work.Timestamp, request.Message, request.UserId, primary, shadow).Redact(_redactor);
                if (!_store.TryEnqueue(turn))
                {
                    StoreFailures.Record("shadow store queue full (the store is slower than the mirrored traffic): pair dropped", null);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The shadow path must never take anything down with it.
            _metrics.ShadowFailedOne();
            Failures.Record("harness: " + ex.Message, ex);
            MarkOutOfStep(work.ConversationKey, "shadow comparison failed in the harness");
        }
    }

    // Runs on the store writer's loop once a batch committed: "stored" means committed.
    private void OnStored(IReadOnlyList<StoredShadowTurn> batch)
    {
        _metrics.ShadowStoredAdd(batch.Count);
        if (_engine is null && _logger.IsEnabled(LogLevel.Information))
        {
            foreach (var turn in batch)
            {
                Log.ShadowStored(_logger, turn.ConversationKey, turn.TurnIndex + 1);
            }
        }
    }

    /// <summary>
    /// Stops taking turns and waits until the queued work is done and its pairs are stored (for tests and orderly
    /// shutdown), up to <paramref name="timeout"/>.
    /// </summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        foreach (var queue in _queues)
        {
            queue.Writer.TryComplete();
        }

        var deadline = Task.Delay(timeout, TimeProvider.System);
        await Task.WhenAny(Task.WhenAll(_workers), deadline).ConfigureAwait(false);
        if (_store is not null)
        {
            await Task.WhenAny(_store.FlushAsync(CancellationToken.None), deadline).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The host's container disposes the parts it built after the server has, in order: the second call does nothing.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await DrainAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_workers).ConfigureAwait(false);
        if (_store is not null)
        {
            // After the workers: whatever they queued is written before the store is closed.
            await _store.DisposeAsync().ConfigureAwait(false);
        }

        _shadow.Dispose();
        _stopping.Dispose();
    }
}
