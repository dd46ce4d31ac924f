using DualStack.Core.Privacy;
using System.Text.Json;
using DualStack.Core.Comparison;
using DualStack.Core.Model;
using DualStack.Core.Postgres;
using DualStack.Core.Replay;
using DualStack.Core.Results;
using DualStack.Core.Scenarios;
using DualStack.Core.Stacks;
using DualStack.Core.Verdicts;
using Npgsql;
using NpgsqlTypes;

namespace DualStack.Core.Runs;

/// <summary>What a distributed run needs besides its conversations; stored with the run so any worker can serve it.</summary>
/// <param name="Scenario">Scenario settings (stacks with their final URLs, replay, comparison); its conversations are not stored here.</param>
/// <param name="Lexical">True when reply meaning is judged lexically.</param>
/// <param name="Seed">Synthetic seed, recorded in the result.</param>
/// <param name="Redact">
/// True when the conversations come from live traffic (a capture store): every worker puts each judgement through the
/// capture redactor before it is written to <c>replay_results</c>, as <c>verify</c> does for a run folder. Default false
/// (scenario and synthetic conversations are stored as they are).
/// </param>
public sealed record ReplayRunSettings(Scenario Scenario, bool Lexical, int? Seed, bool Redact = false);

/// <summary>Counts of a distributed run.</summary>
/// <param name="Total">Conversations enqueued.</param>
/// <param name="Done">Conversations judged (one result each).</param>
/// <param name="Leased">Conversations claimed by a worker and not yet judged.</param>
/// <param name="Pending">Conversations nobody has claimed yet.</param>
/// <param name="Reclaimed">Conversations claimed more than once (a worker died or was too slow).</param>
public sealed record ReplayRunProgress(int Total, int Done, int Leased, int Pending, int Reclaimed);

/// <summary>
/// Distributed replay through PostgreSQL: a run's conversations are rows of <c>replay_items</c>; workers claim batches
/// with <c>FOR UPDATE SKIP LOCKED</c> under a lease (<c>lease_until</c>, renewed while they work), and write one row per
/// judged conversation into <c>replay_results</c>, whose primary key is (run, conversation). A worker that dies stops
/// renewing; when its lease expires the batch is claimed again by another worker. The <b>first result written wins</b>
/// (<c>ON CONFLICT DO NOTHING</c>): a slow worker that finishes after its batch was re-claimed is ignored, so the final
/// report judges every conversation exactly once. Run-level aggregation (noise floor per key) happens once, over all
/// results, when the run is complete.
/// </summary>
public sealed class ReplayQueue : IAsyncDisposable
{
    internal static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE IF NOT EXISTS replay_runs (
            run_id     text        PRIMARY KEY,
            created_at timestamptz NOT NULL DEFAULT now(),
            settings   jsonb       NOT NULL,
            total      integer     NOT NULL
        );
        CREATE TABLE IF NOT EXISTS replay_items (
            run_id          text        NOT NULL REFERENCES replay_runs (run_id) ON DELETE CASCADE,
            conversation_id text        NOT NULL,
            ord             integer     NOT NULL,
            conversation    jsonb       NOT NULL,
            state           text        NOT NULL DEFAULT 'pending',
            lease_owner     text,
            lease_until     timestamptz,
            attempts        integer     NOT NULL DEFAULT 0,
            PRIMARY KEY (run_id, conversation_id)
        );
        CREATE INDEX IF NOT EXISTS ix_replay_items_claim ON replay_items (run_id, state, ord);
        CREATE TABLE IF NOT EXISTS replay_results (
            run_id          text        NOT NULL REFERENCES replay_runs (run_id) ON DELETE CASCADE,
            conversation_id text        NOT NULL,
            worker          text        NOT NULL,
            judged_at       timestamptz NOT NULL DEFAULT now(),
            result          jsonb       NOT NULL,
            PRIMARY KEY (run_id, conversation_id)
        );
        """,
    ];

    private readonly NpgsqlDataSource _dataSource;

    private ReplayQueue(NpgsqlDataSource dataSource, string name)
    {
        _dataSource = dataSource;
        Name = name;
    }

    /// <summary>The connection string without its password, for messages.</summary>
    public string Name { get; }

    /// <summary>Connects and creates or migrates the tables; errors name <paramref name="option"/> and the value without its password.</summary>
    public static async Task<ReplayQueue> OpenAsync(string connectionString, string option, CancellationToken cancellationToken)
    {
        var dataSource = await PostgresConnection.OpenAsync(connectionString, option, cancellationToken).ConfigureAwait(false);
        try
        {
            await PostgresSchema.MigrateAsync(dataSource, "replay", Migrations, cancellationToken).ConfigureAwait(false);
            return new ReplayQueue(dataSource, PostgresConnection.Redact(connectionString));
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Creates run <paramref name="runId"/> with its conversations (binary COPY); false, changing nothing, when the run
    /// already exists (resume it instead). Conversation ids must be unique within the run.
    /// </summary>
    public async Task<bool> EnqueueAsync(string runId, ReplayRunSettings settings, IReadOnlyList<Conversation> conversations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(conversations);
        var duplicate = conversations.GroupBy(c => c.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"conversation id '{duplicate.Key}' occurs {duplicate.Count()} times; a distributed run needs unique ids");
        }

        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await using (var insert = new NpgsqlCommand("INSERT INTO replay_runs (run_id, settings, total) VALUES (@run, @settings, @total) ON CONFLICT (run_id) DO NOTHING", connection, transaction))
                {
                    insert.Parameters.AddWithValue("run", runId);
                    insert.Parameters.Add(new NpgsqlParameter("settings", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(settings with { Scenario = settings.Scenario with { Conversations = [] } }, DualStackJson.Options) });
                    insert.Parameters.AddWithValue("total", conversations.Count);
                    if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                    {
                        return false;
                    }
                }

                var importer = await connection.BeginBinaryImportAsync("COPY replay_items (run_id, conversation_id, ord, conversation) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
                await using (importer.ConfigureAwait(false))
                {
                    for (var i = 0; i < conversations.Count; i++)
                    {
                        await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                        await importer.WriteAsync(runId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                        await importer.WriteAsync(conversations[i].Id, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                        await importer.WriteAsync(i, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                        await importer.WriteAsync(JsonSerializer.Serialize(conversations[i], DualStackJson.Options), NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
                    }

                    await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
        }
    }

    /// <summary>The settings of a run; null when there is no such run.</summary>
    public async Task<ReplayRunSettings?> GetSettingsAsync(string runId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT settings::text FROM replay_runs WHERE run_id = @run");
        command.Parameters.AddWithValue("run", runId);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string json
            ? JsonSerializer.Deserialize<ReplayRunSettings>(json, DualStackJson.Options)
            : null;
    }

    /// <summary>The oldest run that still has conversations to judge; null when none.</summary>
    public async Task<string?> OpenRunAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT r.run_id FROM replay_runs r WHERE EXISTS (SELECT 1 FROM replay_items i WHERE i.run_id = r.run_id AND i.state <> 'done') ORDER BY r.created_at LIMIT 1");
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <summary>
    /// Claims up to <paramref name="batch"/> conversations of the run for <paramref name="worker"/> for
    /// <paramref name="lease"/>: pending ones first, then ones whose lease expired. Never blocks on other workers'
    /// claims (<c>SKIP LOCKED</c>).
    /// </summary>
    public async Task<IReadOnlyList<Conversation>> ClaimAsync(string runId, string worker, int batch, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            """
            UPDATE replay_items i SET state = 'leased', lease_owner = @worker, lease_until = now() + @lease, attempts = i.attempts + 1
            FROM (SELECT run_id, conversation_id FROM replay_items
                  WHERE run_id = @run AND (state = 'pending' OR (state = 'leased' AND lease_until < now()))
                  ORDER BY ord LIMIT @batch FOR UPDATE SKIP LOCKED) c
            WHERE i.run_id = c.run_id AND i.conversation_id = c.conversation_id
            RETURNING i.conversation::text
            """);
        command.Parameters.AddWithValue("worker", worker);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("batch", batch);
        var claimed = new List<Conversation>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            claimed.Add(JsonSerializer.Deserialize<Conversation>(reader.GetString(0), DualStackJson.Options)!);
        }

        return claimed;
    }

    /// <summary>Extends the leases <paramref name="worker"/> holds in the run; returns how many.</summary>
    public async Task<int> RenewAsync(string runId, string worker, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("UPDATE replay_items SET lease_until = now() + @lease WHERE run_id = @run AND lease_owner = @worker AND state = 'leased'");
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("worker", worker);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores the judgement of one conversation and marks it done. Returns false when another worker's result was
    /// stored first (then this one is discarded: first writer wins).
    /// </summary>
    public async Task<bool> CompleteAsync(string runId, string worker, ConversationResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await using var insert = new NpgsqlCommand("INSERT INTO replay_results (run_id, conversation_id, worker, result) VALUES (@run, @id, @worker, @result) ON CONFLICT (run_id, conversation_id) DO NOTHING", connection, transaction);
                insert.Parameters.AddWithValue("run", runId);
                insert.Parameters.AddWithValue("id", result.Conversation.Id);
                insert.Parameters.AddWithValue("worker", worker);
                insert.Parameters.Add(new NpgsqlParameter("result", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(result, DualStackJson.Options) });
                var stored = await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
                await using var done = new NpgsqlCommand("UPDATE replay_items SET state = 'done', lease_until = NULL WHERE run_id = @run AND conversation_id = @id", connection, transaction);
                done.Parameters.AddWithValue("run", runId);
                done.Parameters.AddWithValue("id", result.Conversation.Id);
                await done.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return stored;
            }
        }
    }

    /// <summary>Counts of the run.</summary>
    public async Task<ReplayRunProgress> ProgressAsync(string runId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            """
            SELECT COUNT(*), COUNT(*) FILTER (WHERE state = 'done'), COUNT(*) FILTER (WHERE state = 'leased'),
                   COUNT(*) FILTER (WHERE state = 'pending'), COUNT(*) FILTER (WHERE attempts > 1)
            FROM replay_items WHERE run_id = @run
            """);
        command.Parameters.AddWithValue("run", runId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new ReplayRunProgress((int)reader.GetInt64(0), (int)reader.GetInt64(1), (int)reader.GetInt64(2), (int)reader.GetInt64(3), (int)reader.GetInt64(4));
    }

    /// <summary>Every stored judgement of the run, in enqueue order (one per conversation).</summary>
    public async Task<IReadOnlyList<ConversationResult>> ResultsAsync(string runId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT r.result::text FROM replay_results r JOIN replay_items i USING (run_id, conversation_id) WHERE r.run_id = @run ORDER BY i.ord");
        command.Parameters.AddWithValue("run", runId);
        var results = new List<ConversationResult>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            results.Add(JsonSerializer.Deserialize<ConversationResult>(reader.GetString(0), DualStackJson.Options)!);
        }

        return results;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}

/// <summary>A replay worker: claims batches of a run, replays and judges them, writes the results back.</summary>
public sealed class ReplayWorker
{
    private readonly ReplayQueue _queue;
    private readonly string _runId;
    private readonly ReplayRunSettings _settings;
    private readonly ITextSimilarity? _semantic;

    /// <summary>Creates a worker for one run.</summary>
    public ReplayWorker(ReplayQueue queue, string runId, ReplayRunSettings settings, ITextSimilarity? semantic, string? name = null)
    {
        _queue = queue;
        _runId = runId;
        _settings = settings;
        _semantic = semantic;
        Name = name ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";
    }

    /// <summary>This worker's id (lease owner).</summary>
    public string Name { get; }

    /// <summary>Conversations per claim; default 4.</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>How long a claim lasts without renewal; renewed every third of it while working; default 30 s.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Called after each claim with the conversation ids claimed.</summary>
    public Action<IReadOnlyList<string>>? Claimed { get; init; }

    /// <summary>Clock for replay pacing, waits and lease renewal; default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Works until the run has nothing left to claim and nothing leased to others (then returns the number of
    /// conversations this worker judged), or until cancelled.
    /// </summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var scenario = _settings.Scenario;
        var turnTimeout = TimeSpan.FromSeconds(scenario.Replay.TurnTimeoutSeconds);
        using var oldStack = StackFactory.Create("old", scenario.Old, turnTimeout: turnTimeout);
        using var newStack = StackFactory.Create("new", scenario.New, turnTimeout: turnTimeout);
        var engine = new VerdictEngine(scenario.Comparison, _semantic);
        // Both stacks' answers to captured conversations can carry what the stacks know (contacts in skill results,
        // memory): redacted here, in every worker, so no result reaches the database in clear.
        var redactor = _settings.Redact ? new Privacy.Redactor([]) : null;
        var judged = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var batch = await _queue.ClaimAsync(_runId, Name, BatchSize, Lease, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                var progress = await _queue.ProgressAsync(_runId, cancellationToken).ConfigureAwait(false);
                if (progress.Pending == 0 && progress.Leased == 0)
                {
                    return judged;
                }

                // Others hold the rest; wait in case one of them dies and its lease expires.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(Lease.TotalMilliseconds / 4, 100, 2000)), Time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            Claimed?.Invoke(batch.Select(c => c.Id).ToArray());
            using var renewing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var renewal = RenewLoopAsync(renewing.Token);
            try
            {
                var replayer = new Replayer(oldStack, newStack, scenario.Replay with { Concurrency = Math.Min(scenario.Replay.Concurrency, batch.Count) }, Time);
                var replays = await replayer.RunAsync(batch, null, cancellationToken).ConfigureAwait(false);
                foreach (var replay in replays.Where(r => r.Completed))
                {
                    var result = engine.JudgeConversation(replay, new Dictionary<Lane, string>
                    {
                        [Lane.Old] = replayer.LaneId(replay.Conversation.Id, Lane.Old),
                        [Lane.OldRepeat] = replayer.LaneId(replay.Conversation.Id, Lane.OldRepeat),
                        [Lane.New] = replayer.LaneId(replay.Conversation.Id, Lane.New),
                    });
                    if (redactor is not null)
                    {
                        result = redactor.RedactJson(result, DualStackJson.Options);
                    }

                    if (await _queue.CompleteAsync(_runId, Name, result, CancellationToken.None).ConfigureAwait(false))
                    {
                        judged++;
                    }
                }
            }
            finally
            {
                await renewing.CancelAsync().ConfigureAwait(false);
                try
                {
                    await renewal.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        return judged;
    }

    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(Lease / 3, Time, cancellationToken).ConfigureAwait(false);
            try
            {
                await _queue.RenewAsync(_runId, Name, Lease, cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException)
            {
                // Next round retries; at worst the lease expires and another worker re-does the batch.
            }
        }
    }
}

/// <summary>Turns the stored judgements of a complete run into the usual <see cref="RunResult"/>.</summary>
internal static class DistributedRun
{
    /// <summary>Aggregates (noise floor per key, summary) over every conversation's result exactly once.</summary>
    public static async Task<RunResult> BuildAsync(ReplayQueue queue, string runId, ReplayRunSettings settings, ITextSimilarity? semantic, DateTimeOffset startedAt, bool cancelled, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(time);
        var conversations = await queue.ResultsAsync(runId, cancellationToken).ConfigureAwait(false);
        var engine = new VerdictEngine(settings.Scenario.Comparison, semantic);
        var scenario = settings.Scenario;
        var stacks = new RunStacks(new StackInfo("old", scenario.Old.Url ?? string.Empty, null), new StackInfo("new", scenario.New.Url ?? string.Empty, null));
        var header = new RunHeader(runId, scenario.Name, startedAt, time.GetUtcNow(), stacks)
        {
            Seed = settings.Seed,
            Cancelled = cancelled,
        };
        return engine.BuildRun(header, conversations);
    }
}
