using DualStack.Core.Gates;
using DualStack.Core.Routing;
using Microsoft.Extensions.Logging;

namespace DualStack.Proxy;

/// <summary>
/// The split controller inside the proxy: routes conversations (sticky, by hash) between old and new, keeps a sliding
/// window of latency and errors per stack, runs the ramp controller (automatic advance and rollback), and appends
/// every change to the audit log.
/// </summary>
internal sealed class SplitRouter : IAsyncDisposable
{
    private readonly RampController? _ramp;
    private readonly GateWatch _gatesOnly;
    private readonly AuditLog? _audit;
    private readonly List<AuditEntry> _history = [];
    private readonly Lock _historyLock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ticker;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private long _requestsToOld;
    private long _requestsToNew;
    private long _webhooksToOld;
    private long _webhooksToNew;
    private int _disposed;

    public SplitRouter(ProxyOptions options, TimeProvider time, ILogger logger)
    {
        _logger = logger;
        var split = options.Split;
        State = new SplitState(new SplitOptions { InitialPercent = split.InitialPercent, PinIdleTimeout = split.PinIdleTimeout, MaxPins = split.MaxPins }, time);
        var plan = split.Ramp;
        var window = plan?.Window ?? TimeSpan.FromSeconds(split.WindowSeconds);
        OldWindow = new SlidingWindow(window, time);
        NewWindow = new SlidingWindow(window, time);
        _ramp = plan is null ? null : new RampController(State, () => (OldWindow.Stats(), NewWindow.Stats()), plan, time, () => (OldWindow.Totals(), NewWindow.Totals()));
        _gatesOnly = new GateWatch(State, () => (OldWindow.Stats(), NewWindow.Stats()), split.Gates, "gates", () => (OldWindow.Totals(), NewWindow.Totals()));
        Trend = new DashboardTrend(plan?.EffectiveGates ?? split.Gates);
        _time = time;
        _audit = split.AuditPath is { } path ? new AuditLog(path) : null;
        State.Changed += OnChanged;
        OldDestination = options.Old.AbsoluteUri;
        NewDestination = options.New!.AbsoluteUri;
        _ticker = Task.Run(() => TickAsync(split.TickInterval, time));
    }

    public SplitState State { get; }

    /// <summary>The dashboard's recent samples (one per tick and one per change), drawn as sparklines.</summary>
    public DashboardTrend Trend { get; }

    /// <summary>The state shared with other instances through PostgreSQL; null when this instance decides alone.</summary>
    public ISharedSplitState? Shared { get; private set; }

    /// <summary>Connects the shared state (see <see cref="SharedSplit.StartAsync"/>).</summary>
    public async Task ShareAsync(SharedStateSettings settings, TimeSpan pinIdle, TimeProvider time, CancellationToken cancellationToken) =>
        Shared = await SharedSplit.StartAsync(State, settings, pinIdle, time, _logger, cancellationToken).ConfigureAwait(false);

    /// <summary>Routes a request and queues the pin for the other instances (never waits on the database).</summary>
    public StackChoice Route(string key)
    {
        var choice = State.Route(key);
        // Requests without a conversation key ("req:…") are one-offs: nothing to share.
        if (Shared is { } shared && !key.StartsWith("req:", StringComparison.Ordinal))
        {
            shared.RecordRoute(key, choice);
        }

        return choice;
    }

    public SlidingWindow OldWindow { get; }

    public SlidingWindow NewWindow { get; }

    public string OldDestination { get; }

    public string NewDestination { get; }

    /// <summary>The ramp controller; null when no ramp plan was given (then gates only roll back).</summary>
    public RampController? Ramp => _ramp;

    public string Destination(StackChoice choice) => choice == StackChoice.New ? NewDestination : OldDestination;

    public void Observe(StackChoice choice, double latencyMs, bool error, bool webhook)
    {
        if (choice == StackChoice.New)
        {
            NewWindow.Record(latencyMs, error);
            Interlocked.Increment(ref _requestsToNew);
            if (webhook)
            {
                Interlocked.Increment(ref _webhooksToNew);
            }
        }
        else
        {
            OldWindow.Record(latencyMs, error);
            Interlocked.Increment(ref _requestsToOld);
            if (webhook)
            {
                Interlocked.Increment(ref _webhooksToOld);
            }
        }
    }

    public SplitStatus Status()
    {
        List<AuditEntry> history;
        lock (_historyLock)
        {
            history = [.. _history.TakeLast(50).Reverse()];
        }

        return new SplitStatus
        {
            Split = State.Snapshot,
            Old = OldWindow.Stats(),
            New = NewWindow.Stats(),
            Gates = _ramp?.Status.Gates ?? _gatesOnly.Latest,
            Ramp = _ramp?.Status,
            History = history,
            WebhooksToOld = Interlocked.Read(ref _webhooksToOld),
            WebhooksToNew = Interlocked.Read(ref _webhooksToNew),
            RequestsToOld = Interlocked.Read(ref _requestsToOld),
            RequestsToNew = Interlocked.Read(ref _requestsToNew),
        };
    }

    private void OnChanged(SplitSnapshot snapshot, AuditEntry entry)
    {
        // Counters answer "since the last change" (e.g. no traffic to old since cutover).
        Interlocked.Exchange(ref _requestsToOld, 0);
        Interlocked.Exchange(ref _requestsToNew, 0);
        Interlocked.Exchange(ref _webhooksToOld, 0);
        Interlocked.Exchange(ref _webhooksToNew, 0);
        lock (_historyLock)
        {
            _history.Add(entry);
            if (_history.Count > 1000)
            {
                _history.RemoveRange(0, _history.Count - 1000);
            }
        }

        try
        {
            _audit?.Append(entry);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The change itself stands; losing an audit line must not undo a rollback.
            Log.AuditFailed(_logger, ex.Message, ex);
        }

        // A change shows on the split line at once, not at the next tick.
        Trend.Record(new TrendPoint(_time.GetUtcNow(), snapshot.Percent, snapshot.RolledBack, OldWindow.Stats(), NewWindow.Stats()));
        Log.SplitChanged(_logger, entry.Action, entry.FromPercent, entry.ToPercent, entry.Who, entry.Reason ?? string.Empty);
    }

    private async Task TickAsync(TimeSpan interval, TimeProvider time)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, _stop.Token).ConfigureAwait(false);
                if (_ramp is not null)
                {
                    _ramp.Tick();
                }
                else
                {
                    GatesOnly();
                }

                Sample();
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.RampFailed(_logger, ex.Message, ex);
            }
        }
    }

    private void Sample()
    {
        var split = State.Snapshot;
        Trend.Record(new TrendPoint(_time.GetUtcNow(), split.Percent, split.RolledBack, OldWindow.Stats(), NewWindow.Stats()));
    }

    /// <summary>Without a ramp plan the gates still watch the new stack and roll back when one fails.</summary>
    private void GatesOnly()
    {
        var split = State.Snapshot;
        if (split.RolledBack || split.Percent <= 0)
        {
            return;
        }

        _gatesOnly.Check();
    }

    public async ValueTask DisposeAsync()
    {
        // The host's container disposes the parts it built after the server has, in order: the second call does nothing.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _ticker.ConfigureAwait(false);
        if (Shared is not null)
        {
            await Shared.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
        (_audit as IDisposable)?.Dispose();
    }
}
