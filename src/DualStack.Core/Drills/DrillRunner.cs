using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using DualStack.Core.Model;
using DualStack.Core.Routing;
using DualStack.Core.Stacks;
using DualStack.Core.Synthetic;

namespace DualStack.Core.Drills;

/// <summary>The outcome of a drill, with pass/fail against its limits.</summary>
public sealed record DrillReport
{
    /// <summary>Drill name.</summary>
    public required string Name { get; init; }

    /// <summary>How the rollback was triggered.</summary>
    public DrillTrigger Trigger { get; init; }

    /// <summary>When load started (the migration window start for the merge).</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When the trigger fired (rollback command, or fault injection).</summary>
    public DateTimeOffset TriggeredAt { get; init; }

    /// <summary>When the proxy rolled back (its own timestamp).</summary>
    public DateTimeOffset? RolledBackAt { get; init; }

    /// <summary>Why the proxy says it rolled back.</summary>
    public string? RollbackReason { get; init; }

    /// <summary>Fault trigger only: seconds from the fault to the automatic rollback.</summary>
    public double? DetectionSeconds { get; init; }

    /// <summary>Seconds from the rollback to the end of the last request the new stack served (0 when none after it).</summary>
    public double RollbackSeconds { get; init; }

    /// <summary>Requests sent.</summary>
    public int Requests { get; init; }

    /// <summary>Requests served by the new stack.</summary>
    public int ServedByNew { get; init; }

    /// <summary>Client-visible failures (non-2xx or no response).</summary>
    public int FailedRequests { get; init; }

    /// <summary>A few of the failures, for humans.</summary>
    public IReadOnlyList<string> FailureSamples { get; init; } = [];

    /// <summary>Conversations that were on the new stack and continued on the old one.</summary>
    public int ConversationsMoved { get; init; }

    /// <summary>Memory entries the new stack wrote during the window.</summary>
    public int MemoryWrittenOnNew { get; init; }

    /// <summary>Entries merged into the old stack.</summary>
    public int MemoryMerged { get; init; }

    /// <summary>Entries written on the new stack still missing on the old one after the merge.</summary>
    public int MemoryLost { get; init; }

    /// <summary>The limits applied.</summary>
    public required DrillLimits Limits { get; init; }

    /// <summary>Each check with its verdict.</summary>
    public IReadOnlyList<DrillCheck> Checks { get; init; } = [];

    /// <summary>Which stack served the requests over time (bucketed; see <see cref="DrillTimeline"/>); empty in reports from older versions.</summary>
    public DrillTimeline Timeline { get; init; } = new();

    /// <summary>True when every check passed.</summary>
    public bool Passed => Checks.Count > 0 && Checks.All(c => c.Passed);
}

/// <summary>One pass/fail line of a drill report.</summary>
/// <param name="Name">What was checked.</param>
/// <param name="Passed">Result.</param>
/// <param name="Evidence">The measured value against the limit.</param>
public sealed record DrillCheck(string Name, bool Passed, string Evidence);

/// <summary>Where the drill runs: the split proxy and both stacks' base URLs (memory API, fault injection).</summary>
/// <param name="Proxy">Split proxy.</param>
/// <param name="Old">Old stack.</param>
/// <param name="New">New stack.</param>
/// <param name="Admin">Admin client of the proxy.</param>
public sealed record DrillTargets(Uri Proxy, Uri Old, Uri New, ISplitAdminApi Admin)
{
    /// <summary>Where faults are posted for <see cref="DrillTrigger.Fault"/> (see <see cref="DrillConfig.FaultUrl"/>); null for command drills.</summary>
    public Uri? FaultUrl { get; init; }
}

/// <summary>
/// Runs a rollback drill against a split proxy: synthetic multi-turn load, ramp to a percentage, trigger a rollback
/// (command or injected fault), keep the load going, merge the new stack's memory back, and measure what users and
/// memory went through.
/// </summary>
public static class DrillRunner
{
    private sealed record Sample(string Conversation, DateTimeOffset Start, DateTimeOffset End, string? Stack, int Status, string? Error);

    /// <summary>Runs the drill. <paramref name="merge"/> merges new → old memory written since the given time and returns entries merged.</summary>
    public static async Task<DrillReport> RunAsync(DrillConfig config, DrillTargets targets, Func<DateTimeOffset, CancellationToken, Task<int>> merge, TimeProvider? timeProvider, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var time = timeProvider ?? TimeProvider.System;
        var samples = new ConcurrentQueue<Sample>();
        var started = time.GetUtcNow();
        await targets.Admin.SetPercentAsync(new SetPercentRequest(config.RampTo, $"drill '{config.Name}': ramp"), cancellationToken).ConfigureAwait(false);
        progress?.Report($"ramped to {config.RampTo} %; load with {config.Concurrency} conversations in flight");
        using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var http = StackFactory.CreateHttpClient(targets.Proxy, new Dictionary<string, string>());
        http.Timeout = TimeSpan.FromSeconds(30);
        var load = Task.WhenAll(Enumerable.Range(0, config.Concurrency).Select(worker => LoadAsync(http, config, worker, samples, time, stopLoad.Token)));

        await Task.Delay(TimeSpan.FromSeconds(config.LoadSecondsBeforeTrigger), time, cancellationToken).ConfigureAwait(false);
        // A rollback before the trigger (gate noise, a flapping stack) would make every later check pass for the wrong reason.
        var beforeTrigger = await targets.Admin.GetStateAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset triggered;
        SplitStatus state;
        using var control = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        if (config.Trigger == DrillTrigger.Command)
        {
            triggered = time.GetUtcNow();
            state = await targets.Admin.RollbackAsync(new ReasonRequest($"drill '{config.Name}': manual rollback"), cancellationToken).ConfigureAwait(false);
            progress?.Report("rollback commanded");
        }
        else
        {
            triggered = time.GetUtcNow();
            using (var inject = await control.PostAsJsonAsync(FaultUrl(targets), new { faults = new[] { config.Fault } }, cancellationToken).ConfigureAwait(false))
            {
                inject.EnsureSuccessStatusCode();
            }

            progress?.Report($"fault '{config.Fault}' injected into the new stack; waiting for the automatic rollback");
            state = await targets.Admin.GetStateAsync(cancellationToken).ConfigureAwait(false);
            var deadline = triggered.AddSeconds(config.MaxDetectionSeconds);
            while (!state.Split.RolledBack && time.GetUtcNow() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken).ConfigureAwait(false);
                state = await targets.Admin.GetStateAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        var rolledBack = state.Split.RolledBack;
        DateTimeOffset? rolledBackAt = rolledBack ? state.Split.ChangedAt : null;
        progress?.Report(rolledBack ? $"rolled back: {state.Split.RollbackReason}" : "NO rollback happened");
        await Task.Delay(TimeSpan.FromSeconds(config.LoadSecondsAfterRollback), time, cancellationToken).ConfigureAwait(false);
        await stopLoad.CancelAsync().ConfigureAwait(false);
        await load.ConfigureAwait(false);
        var loadEnded = time.GetUtcNow();

        if (config.Trigger == DrillTrigger.Fault)
        {
            using var clear = await control.PostAsJsonAsync(FaultUrl(targets), new { faults = Array.Empty<string>() }, CancellationToken.None).ConfigureAwait(false);
        }

        var merged = await merge(started, cancellationToken).ConfigureAwait(false);
        var written = await MemoryIdsSinceAsync(targets.New, started, time, cancellationToken).ConfigureAwait(false);
        var onOld = await MemoryIdsSinceAsync(targets.Old, DateTimeOffset.MinValue, time, cancellationToken).ConfigureAwait(false);
        var lost = written.Count(id => !onOld.Contains(id));
        progress?.Report($"memory: {written.Count} entries written on new during the window, {merged} merged, {lost} missing on old");

        var all = samples.ToArray();
        var failed = all.Where(IsFailure).ToArray();
        var lastNew = all.Where(s => s.Stack == "new").Select(s => s.End).DefaultIfEmpty(DateTimeOffset.MinValue).Max();
        var rollbackSeconds = rolledBackAt is { } at && lastNew > at ? (lastNew - at).TotalSeconds : 0;
        var moved = all.GroupBy(s => s.Conversation).Count(g =>
        {
            var ordered = g.OrderBy(s => s.Start).Select(s => s.Stack).ToArray();
            var firstNew = Array.IndexOf(ordered, "new");
            return firstNew >= 0 && ordered.Skip(firstNew).Contains("old");
        });
        var limits = config.Limits;
        var checks = new List<DrillCheck>
        {
            new("no rollback before the trigger", !beforeTrigger.Split.RolledBack && beforeTrigger.Split.Percent > 0, beforeTrigger.Split.RolledBack ? $"already rolled back before the trigger: {beforeTrigger.Split.RollbackReason}" : $"{beforeTrigger.Split.Percent} % on the new stack when the trigger fired"),
            new("rollback happened", rolledBack, rolledBack ? $"rolled back at {rolledBackAt:O}: {state.Split.RollbackReason}" : $"no rollback within {config.MaxDetectionSeconds} s of the trigger"),
            new("rollback latency", rolledBack && rollbackSeconds <= limits.MaxRollbackSeconds, $"{rollbackSeconds:0.000} s from the rollback to the last request served by the new stack (limit {limits.MaxRollbackSeconds} s)"),
            new("client-visible failures", failed.Length <= limits.MaxFailedRequests, $"{failed.Length} of {all.Length} requests failed (limit {limits.MaxFailedRequests})"),
            new("memory merged back", lost <= limits.MaxLostMemoryEntries, $"{lost} of {written.Count} entries written on the new stack are missing on the old stack after merging {merged} (limit {limits.MaxLostMemoryEntries})"),
        };
        return new DrillReport
        {
            Name = config.Name ?? "drill",
            Trigger = config.Trigger,
            StartedAt = started,
            TriggeredAt = triggered,
            RolledBackAt = rolledBackAt,
            RollbackReason = state.Split.RollbackReason,
            DetectionSeconds = config.Trigger == DrillTrigger.Fault && rolledBackAt is { } r ? Math.Max(0, (r - triggered).TotalSeconds) : null,
            RollbackSeconds = rollbackSeconds,
            Requests = all.Length,
            ServedByNew = all.Count(s => s.Stack == "new"),
            FailedRequests = failed.Length,
            FailureSamples = failed.Take(5).Select(f => $"{f.Conversation}: {(f.Error ?? $"HTTP {f.Status}")}").ToArray(),
            ConversationsMoved = moved,
            MemoryWrittenOnNew = written.Count,
            MemoryMerged = merged,
            MemoryLost = lost,
            Limits = limits,
            Checks = checks,
            Timeline = DrillTimeline.Build(all.Select(s => new DrillRequest(s.Start, s.Stack, IsFailure(s))), started, loadEnded),
        };
    }

    private static bool IsFailure(Sample sample) => sample.Error is not null || sample.Status is < 200 or >= 300;

    private static async Task LoadAsync(HttpClient http, DrillConfig config, int worker, ConcurrentQueue<Sample> samples, TimeProvider time, CancellationToken stop)
    {
        var round = 0;
        while (!stop.IsCancellationRequested)
        {
            var conversation = SyntheticGenerator.Generate(new Scenarios.SyntheticConfig { Count = 1, Seed = config.Seed * 10_007 + worker * 101 + round, MinTurns = config.TurnsPerConversation, MaxTurns = config.TurnsPerConversation, MemoryProbability = 0.6 })[0];
            var id = $"drill-{worker}-{round++}";
            foreach (var turn in conversation.Turns)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                var start = time.GetUtcNow();
                try
                {
                    // Requests already started finish even when the load stops: a drill never abandons a user mid-turn.
                    using var content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { userId = "u-" + id, message = turn.Message, channel = "web" }), Encoding.UTF8, "application/json");
                    using var response = await http.PostAsync($"v1/conversations/{id}/turns", content, CancellationToken.None).ConfigureAwait(false);
                    await response.Content.ReadAsByteArrayAsync(CancellationToken.None).ConfigureAwait(false);
                    var stack = response.Headers.TryGetValues("X-DualStack-Stack", out var values) ? values.FirstOrDefault() : null;
                    samples.Enqueue(new Sample(id, start, time.GetUtcNow(), stack, (int)response.StatusCode, null));
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    samples.Enqueue(new Sample(id, start, time.GetUtcNow(), null, 0, ex.Message));
                }
            }
        }
    }

    private static Uri FaultUrl(DrillTargets targets) =>
        targets.FaultUrl ?? throw new InvalidOperationException("a fault drill needs DrillTargets.FaultUrl (drill.faultUrl)");

    private static async Task<HashSet<string>> MemoryIdsSinceAsync(Uri stack, DateTimeOffset since, TimeProvider time, CancellationToken cancellationToken)
    {
        // The memory API's own paging (one implementation, shared with `memory snapshot|diff|merge`).
        using var client = Memory.MemoryClient.Create(stack.AbsoluteUri);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var entry in new Memory.MemoryFeed(new Memory.MemorySyncOptions(), time).ReadAllAsync(client, cancellationToken).ConfigureAwait(false))
        {
            if (entry.Id is { } id && (entry.CreatedAt ?? DateTimeOffset.MaxValue) >= since)
            {
                ids.Add(id);
            }
        }

        return ids;
    }
}
