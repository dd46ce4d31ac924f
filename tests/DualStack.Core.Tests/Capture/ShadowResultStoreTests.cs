using DualStack.Core.Privacy;
using DualStack.Core.Capture;
using DualStack.Core.Model;
using DualStack.TestUtils;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DualStack.Core.Tests.Capture;

/// <summary>
/// The shadow pair stores (SQLite and PostgreSQL) append a batch in one transaction: every pair in list order, or
/// none of them, so the store writer's count of stored pairs is true and the turns of a conversation keep their order.
/// </summary>
public sealed class ShadowResultStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    internal static ShadowTurn Turn(string key, int index, string? message = null) => new(
        key,
        index,
        T0.AddSeconds(index), // whole seconds: PostgreSQL keeps microseconds only
        message ?? $"turn {index} of {key}",
        "u-1",
        new StackObservation { Stack = "old", ConversationId = key, TurnIndex = index, HttpStatus = 200, Reply = $"old reply {index}" },
        new StackObservation { Stack = "new", ConversationId = key + "~b~x", TurnIndex = index, HttpStatus = 200, Reply = $"new reply {index}" });

    private static readonly Redactor NoSecrets = new([]);

    // As the shadow mirror hands them to the store: redacted, observations as JSON.
    private static StoredShadowTurn[] Stored(params IEnumerable<ShadowTurn> turns) => [.. turns.Select(t => t.Redact(NoSecrets))];

    // Interleaved conversations, as the store writer's queue holds them.
    private static ShadowTurn[] Interleaved(int conversations, int turns) =>
        [.. Enumerable.Range(0, turns).SelectMany(t => Enumerable.Range(0, conversations).Select(c => Turn($"c-{c}", t)))];

    [Test]
    public async Task AppendAsync_SqliteBatches_EveryPairReadBackInConversationAndTurnOrder()
    {
        using var temp = new TempDirectory();
        await using var store = await ShadowResultStore.OpenAsync(temp.File("captures.db"), CancellationToken.None);
        var turns = Interleaved(conversations: 3, turns: 4);

        await store.AppendAsync(Stored(turns[..5]), CancellationToken.None);
        await store.AppendAsync(Stored(turns[5..]), CancellationToken.None);

        var read = await ReadAll(store);
        Assert.That(read.Select(t => (t.ConversationKey, t.TurnIndex)), Is.EqualTo(turns.Select(t => (t.ConversationKey, t.TurnIndex)).Order()));
        Assert.That(read[0], Is.EqualTo(turns[0]).Using<ShadowTurn>(SameTurn));
        Assert.That(await RowIdOrderAsync(temp.File("captures.db")), Is.EqualTo(turns.Select(t => $"{t.ConversationKey}/{t.TurnIndex}")), "row ids follow the list: insertion order is queue order");
    }

    [Test]
    public void Redact_SecretsInMessageAndBothAnswers_StoredTextHoldsOnlyTokensAndReadsBack()
    {
        var redactor = new Redactor([@"sk-[A-Za-z0-9]{10,}"]);
        var turn = Turn("c-1", 0, "my key is sk-abcdefghijkl") with
        {
            Primary = new StackObservation { Stack = "old", ConversationId = "c-1", HttpStatus = 200, Reply = "Keep \"sk-abcdefghijkl\" safe.\nDone." },
            Shadow = new StackObservation { Stack = "new", ConversationId = "c-1~b~x", HttpStatus = 200, Reply = "Card 4111 1111 1111 1111 noted." },
        };

        var stored = turn.Redact(redactor);

        var text = string.Join("\n", stored.Message, stored.UserId, stored.ConversationKey, stored.PrimaryJson, stored.ShadowJson);
        Assert.That(text, Does.Not.Contain("sk-abcdefghijkl").And.Not.Contain("4111 1111"));
        var read = stored.Read();
        var token = System.Text.RegularExpressions.Regex.Match(read.Message, "<[a-z]+:[0-9a-f]{8}>").Value;
        Assert.That(token, Is.Not.Empty, read.Message);
        Assert.That(read.Primary.Reply, Is.EqualTo($"Keep \"{token}\" safe.\nDone."), "the same token as in the message, the JSON around it intact");
        Assert.That(read.Shadow.Reply, Does.Match("^Card <card:[0-9a-f]{8}> noted[.]$"));
        Assert.That((read.Primary.HttpStatus, read.Shadow.ConversationId), Is.EqualTo((200, "c-1~b~x")));
    }

    [Test]
    public void Redact_PatternRunningPastTheReply_PairStillReadsBackWithItsSkillCalls()
    {
        // Redacted as one text, "password=\S+" would take the reply's closing quote and every field after it: the
        // pair would be lost in the proxy, or judged with its skill calls missing.
        var turn = Turn("c-1", 0) with
        {
            Primary = new StackObservation { Stack = "old", ConversationId = "c-1", HttpStatus = 200, Reply = "Your password=abc123", SkillCalls = [new SkillCall { Name = "reset_password", Status = "ok" }] },
        };

        var stored = turn.Redact(new Redactor([@"password=\S+"]));

        Assert.That(stored.PrimaryJson, Does.Not.Contain("abc123"));
        var read = stored.Read();
        Assert.That(read.Primary.Reply, Does.Match("^Your <secret:[0-9a-f]{8}>$"));
        Assert.That(read.Primary.SkillCalls!.Single().Name, Is.EqualTo("reset_password"));
        Assert.That(read.Primary.HttpStatus, Is.EqualTo(200));
    }

    [Test]
    public async Task AppendAsync_SqliteRowFailsMidBatch_NoPairOfThatBatchStored()
    {
        using var temp = new TempDirectory();
        await using var store = await ShadowResultStore.OpenAsync(temp.File("captures.db"), CancellationToken.None);
        await store.AppendAsync(Stored(Turn("c-0", 0)), CancellationToken.None);

        // The third row cannot be written (no message): the two before it must not stay behind.
        var batch = Stored(Turn("c-1", 0), Turn("c-1", 1), Turn("c-1", 2), Turn("c-1", 3));
        batch[2] = batch[2] with { Message = null! };
        Assert.That(async () => await store.AppendAsync(batch, CancellationToken.None), Throws.Exception);
        await store.AppendAsync(Stored(Turn("c-2", 0)), CancellationToken.None);

        var read = await ReadAll(store);
        Assert.That(read.Select(t => t.ConversationKey), Is.EqualTo(new[] { "c-0", "c-2" }), "all of the failed batch or none of it");
    }

    [Test]
    [Category("postgres")]
    public async Task AppendAsync_PostgresBatches_EveryPairReadBackInOrderAndNulKept()
    {
        var database = await PostgresCluster.NewDatabaseAsync("shadowstore");
        await using var store = await PostgresShadowResultStore.OpenAsync(database, "--store", CancellationToken.None);
        var turns = Interleaved(conversations: 3, turns: 4);
        turns[1] = turns[1] with { Message = "nul\0inside" };

        await store.AppendAsync(Stored(turns[..5]), CancellationToken.None);
        await store.AppendAsync(Stored(turns[5..]), CancellationToken.None);

        var read = await ReadAll(store);
        Assert.That(read.Select(t => (t.ConversationKey, t.TurnIndex)), Is.EqualTo(turns.Select(t => (t.ConversationKey, t.TurnIndex)).Order()));
        Assert.That(read.Single(t => t.ConversationKey == "c-1" && t.TurnIndex == 0).Message, Is.EqualTo("nul\uFFFDinside"), "a NUL (which PostgreSQL text cannot hold) does not cost the batch");
        Assert.That(read.Single(t => t.ConversationKey == "c-0" && t.TurnIndex == 0), Is.EqualTo(turns[0]).Using<ShadowTurn>(SameTurn));
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var ids = new NpgsqlCommand("SELECT conversation_key || '/' || turn_index FROM shadow_turns ORDER BY id", connection);
        var order = new List<string>();
        await using (var reader = await ids.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                order.Add(reader.GetString(0));
            }
        }

        Assert.That(order, Is.EqualTo(turns.Select(t => $"{t.ConversationKey}/{t.TurnIndex}")), "row ids follow the list");
    }

    [Test]
    [Category("postgres")]
    public async Task AppendAsync_PostgresRowFailsMidBatch_NoPairOfThatBatchStored()
    {
        var database = await PostgresCluster.NewDatabaseAsync("shadowstore");
        await using var store = await PostgresShadowResultStore.OpenAsync(database, "--store", CancellationToken.None);
        await store.AppendAsync(Stored(Turn("c-0", 0)), CancellationToken.None);

        var batch = Stored(Turn("c-1", 0), Turn("c-1", 1), Turn("c-1", 2), Turn("c-1", 3));
        batch[2] = batch[2] with { UserId = null! };
        Assert.That(async () => await store.AppendAsync(batch, CancellationToken.None), Throws.Exception);
        await store.AppendAsync(Stored(Turn("c-2", 0)), CancellationToken.None);

        var read = await ReadAll(store);
        Assert.That(read.Select(t => t.ConversationKey), Is.EqualTo(new[] { "c-0", "c-2" }), "all of the failed batch or none of it");
    }

    [Test]
    public async Task OpenBesideAsync_CapturesAndPairsWrittenAtOnce_EveryRowStoredAndCaptureStoreOutlivesPairStore()
    {
        // As in the proxy: the capture writer and the shadow store writer append to one file at the same time, through
        // the capture store's one write connection.
        using var temp = new TempDirectory();
        var path = temp.File("captures.db");
        await using var captures = await SqliteCaptureStore.OpenAsync(path, CancellationToken.None);
        var pairs = await ShadowResultStores.OpenBesideAsync(captures, path, CancellationToken.None);
        var turns = Interleaved(conversations: 4, turns: 25);

        var captureWriter = Task.Run(async () =>
        {
            for (var i = 0; i < 100; i += 5)
            {
                await captures.AppendAsync([.. Enumerable.Range(i, 5).Select(Exchange)], CancellationToken.None);
            }
        });
        var pairWriter = Task.Run(async () =>
        {
            foreach (var chunk in turns.Chunk(5))
            {
                await pairs.AppendAsync(Stored(chunk), CancellationToken.None);
            }
        });
        await Task.WhenAll(captureWriter, pairWriter);

        Assert.That(await ReadAll(pairs), Has.Count.EqualTo(100));
        await pairs.DisposeAsync();
        await captures.AppendAsync([Exchange(100)], CancellationToken.None);
        Assert.That((await captures.GetStatsAsync(CancellationToken.None)).Exchanges, Is.EqualTo(101), "the pair store does not close the capture store it writes through");
    }

    [Test]
    public async Task AppendAsync_CaptureFileDeletedUnderIt_PairBatchFailsNamingFileThenNextCreatesNewFile()
    {
        // With a connection of its own, the pair store went on writing into the unlinked file: every later pair lost
        // without a word. It now shares the capture store's check.
        using var temp = new TempDirectory();
        var path = temp.File("captures.db");
        await using var captures = await SqliteCaptureStore.OpenAsync(path, CancellationToken.None);
        await using var pairs = await ShadowResultStores.OpenBesideAsync(captures, path, CancellationToken.None);
        await pairs.AppendAsync(Stored(Turn("c-0", 0)), CancellationToken.None);
        File.Delete(path);

        var ex = Assert.ThrowsAsync<IOException>(() => pairs.AppendAsync(Stored(Turn("c-1", 0)), CancellationToken.None));
        await pairs.AppendAsync(Stored(Turn("c-2", 0)), CancellationToken.None);
        await captures.AppendAsync([Exchange(1)], CancellationToken.None);

        Assert.That(ex!.Message, Does.Contain(path));
        Assert.That((await ReadAll(pairs)).Select(t => t.ConversationKey), Is.EqualTo(new[] { "c-2" }), "the new file holds the pair stored after the failure");
        Assert.That((await captures.GetStatsAsync(CancellationToken.None)).Exchanges, Is.EqualTo(1));
    }

    [Test]
    public async Task DeleteBeforeAsync_SqlitePairsAndJudgementsOlderThanTheCutoff_DeletedWithTheExchanges()
    {
        // Retention (capture --retain, captures prune) once deleted exchanges only: with --shadow on, the pairs beside
        // them grew without bound.
        using var temp = new TempDirectory();
        var path = temp.File("captures.db");
        await using var captures = await SqliteCaptureStore.OpenAsync(path, CancellationToken.None);
        await using var pairs = await ShadowResultStores.OpenBesideAsync(captures, path, CancellationToken.None);
        await StoreOldAndNewAsync(captures, pairs, path);

        var pruned = await captures.DeleteBeforeAsync(T0.AddDays(-14), null, CancellationToken.None);

        Assert.That(pruned, Is.EqualTo(new Pruned(1, 2)));
        Assert.That((await ReadAll(pairs)).Select(t => t.ConversationKey), Is.EqualTo(new[] { "new" }));
        Assert.That(await ScalarAsync(path, JudgedPairsSql), Is.EqualTo("new"), "no judgement outlives its pair");
        Assert.That(await captures.DeleteBeforeAsync(T0.AddDays(-14), null, CancellationToken.None), Is.EqualTo(new Pruned(0, 0)), "a second pass finds nothing");
    }

    [Test]
    public async Task DeleteBeforeAsync_SqliteBacklogOfSeveralSlices_EveryOldRowDeletedAndNoJudgementOrphaned()
    {
        using var temp = new TempDirectory();
        var path = temp.File("captures.db");
        await using var captures = await SqliteCaptureStore.OpenAsync(path, CancellationToken.None);
        await using var pairs = await ShadowResultStores.OpenBesideAsync(captures, path, CancellationToken.None);
        await StoreBacklogAsync(captures, pairs, path);

        var reported = new List<Pruned>();
        var pruned = await captures.DeleteBeforeAsync(T0.AddDays(-14), slice: 10, new SyncProgress(reported.Add), CancellationToken.None);

        await AssertBacklogDeletedAsync(pruned, reported, captures, pairs);
        Assert.That(await ScalarAsync(path, JudgedPairsSql), Is.EqualTo("new"));
    }

    [Test]
    [Category("postgres")]
    public async Task DeleteBeforeAsync_PostgresBacklogOfSeveralSlices_EveryOldRowDeletedAndNoJudgementOrphaned()
    {
        // PostgreSQL deletes in paced slices too: unpaced slices of 10,000 dropped captures under load.
        var database = await PostgresCluster.NewDatabaseAsync("shadowstore");
        await using var captures = await PostgresCaptureStore.OpenAsync(database, CancellationToken.None);
        await using var pairs = await PostgresShadowResultStore.OpenAsync(database, "--store", CancellationToken.None);
        await StoreBacklogAsync(captures, pairs, database);

        var reported = new List<Pruned>();
        var pruned = await captures.DeleteBeforeAsync(T0.AddDays(-14), slice: 10, new SyncProgress(reported.Add), CancellationToken.None);

        await AssertBacklogDeletedAsync(pruned, reported, captures, pairs);
        Assert.That(await JudgedPairsPostgresAsync(database), Is.EqualTo("new"), "no judgement outlives its pair");
    }

    // A backlog for slices of 10 rows (1,000 in use): 25 old exchanges and 23 old pairs take three slices each, the
    // last one partial; one exchange and one pair are new; every pair is claimed by a judge (a judgement row each).
    private static async Task StoreBacklogAsync(ICaptureStore captures, IShadowResultStore pairs, string source)
    {
        await captures.AppendAsync([.. Enumerable.Range(0, 25).Select(i => Exchange(i) with { Timestamp = T0.AddDays(-20).AddSeconds(i % 3) }), Exchange(99)], CancellationToken.None);
        await pairs.AppendAsync(Stored([.. Enumerable.Range(0, 23).Select(i => Turn($"old-{i}", 0) with { Timestamp = T0.AddDays(-20).AddSeconds(i % 3) }), Turn("new", 0)]), CancellationToken.None);
        await using var queue = await ShadowJudgeQueues.OpenAsync(source, "--source", null, CancellationToken.None);
        Assert.That(await queue.ClaimAsync("judge-1", null, 0, 100, TimeSpan.FromMinutes(5), CancellationToken.None), Has.Count.EqualTo(24));
    }

    private static async Task AssertBacklogDeletedAsync(Pruned pruned, List<Pruned> reported, ICaptureStore captures, IShadowResultStore pairs)
    {
        Assert.That(pruned, Is.EqualTo(new Pruned(25, 23)));
        Assert.That(reported, Is.EqualTo(new[] { new Pruned(10, 0), new Pruned(20, 0), new Pruned(25, 0), new Pruned(25, 10), new Pruned(25, 20), new Pruned(25, 23) }), "the counts so far after every slice");
        Assert.That((await captures.GetStatsAsync(CancellationToken.None)).Exchanges, Is.EqualTo(1));
        Assert.That((await ReadAll(pairs)).Select(t => t.ConversationKey), Is.EqualTo(new[] { "new" }));
    }

    [Test]
    public async Task CaptureRetention_PairsOlderThanThePeriod_DeletedAtStartAndCountedApartFromExchanges()
    {
        using var temp = new TempDirectory();
        var path = temp.File("captures.db");
        await using var captures = await SqliteCaptureStore.OpenAsync(path, CancellationToken.None);
        await using var pairs = await ShadowResultStores.OpenBesideAsync(captures, path, CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        await captures.AppendAsync([Exchange(0) with { Timestamp = now.AddDays(-20) }, Exchange(1) with { Timestamp = now }], CancellationToken.None);
        await pairs.AppendAsync(Stored(Turn("old", 0) with { Timestamp = now.AddDays(-20) }, Turn("old", 1) with { Timestamp = now.AddDays(-15) }, Turn("new", 0) with { Timestamp = now }), CancellationToken.None);

        await using (var retention = new CaptureRetention(captures, TimeSpan.FromDays(14)))
        {
            // The first pass runs at start; wait for it (bounded), not for a period.
            for (var i = 0; i < 200 && retention.DeletedShadowPairs == 0; i++)
            {
                await Task.Delay(50);
            }

            Assert.That((retention.Deleted, retention.DeletedShadowPairs), Is.EqualTo((1L, 2L)));
        }

        Assert.That((await ReadAll(pairs)).Select(t => t.ConversationKey), Is.EqualTo(new[] { "new" }));
    }

    [Test]
    public async Task DeleteBeforeAsync_SqliteFileWithoutShadowTables_DeletesExchangesOnly()
    {
        using var temp = new TempDirectory();
        var path = temp.File("captures.db");
        await using var captures = await SqliteCaptureStore.OpenAsync(path, CancellationToken.None);
        await captures.AppendAsync([Exchange(0) with { Timestamp = T0.AddDays(-20) }, Exchange(1)], CancellationToken.None);
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            // As a file from a build before shadow pairs.
            await connection.OpenAsync();
            await using var drop = connection.CreateCommand();
            drop.CommandText = "DROP TABLE IF EXISTS shadow_turns";
            await drop.ExecuteNonQueryAsync();
        }

        Assert.That(await captures.DeleteBeforeAsync(T0.AddDays(-14), null, CancellationToken.None), Is.EqualTo(new Pruned(1, 0)));
    }

    [Test]
    [Category("postgres")]
    public async Task DeleteBeforeAsync_PostgresPairsAndJudgementsOlderThanTheCutoff_DeletedWithTheExchanges()
    {
        var database = await PostgresCluster.NewDatabaseAsync("shadowstore");
        await using var captures = await PostgresCaptureStore.OpenAsync(database, CancellationToken.None);
        await using var pairs = await PostgresShadowResultStore.OpenAsync(database, "--store", CancellationToken.None);
        await StoreOldAndNewAsync(captures, pairs, database);

        var pruned = await captures.DeleteBeforeAsync(T0.AddDays(-14), null, CancellationToken.None);

        Assert.That(pruned, Is.EqualTo(new Pruned(1, 2)));
        Assert.That((await ReadAll(pairs)).Select(t => t.ConversationKey), Is.EqualTo(new[] { "new" }));
        Assert.That(await JudgedPairsPostgresAsync(database), Is.EqualTo("new"), "no judgement outlives its pair");
    }

    // Retention's fixture on either engine: one exchange and two pairs from before a 14-day cut-off, one of each after
    // it, and every pair claimed by a judge (so each has a judgement row to delete with it).
    private static async Task StoreOldAndNewAsync(ICaptureStore captures, IShadowResultStore pairs, string source)
    {
        await captures.AppendAsync([Exchange(0) with { Timestamp = T0.AddDays(-20) }, Exchange(1)], CancellationToken.None);
        await pairs.AppendAsync(Stored(Turn("old", 0) with { Timestamp = T0.AddDays(-20) }, Turn("old", 1) with { Timestamp = T0.AddDays(-15) }, Turn("new", 0)), CancellationToken.None);
        await using var queue = await ShadowJudgeQueues.OpenAsync(source, "--source", null, CancellationToken.None);
        Assert.That(await queue.ClaimAsync("judge-1", null, 0, 10, TimeSpan.FromMinutes(5), CancellationToken.None), Has.Count.EqualTo(3));
    }

    // The conversation of each judgement's pair, 'orphan' for a judgement whose pair is gone.
    private const string JudgedPairsSql = "SELECT group_concat(coalesce(t.conversation_key, 'orphan')) FROM shadow_judgements j LEFT JOIN shadow_turns t ON t.id = j.pair_id";

    private static async Task<object?> JudgedPairsPostgresAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var judged = new NpgsqlCommand("SELECT string_agg(coalesce(t.conversation_key, 'orphan'), ',') FROM shadow_judgements j LEFT JOIN shadow_turns t ON t.id = j.pair_id", connection);
        return await judged.ExecuteScalarAsync();
    }

    private sealed class SyncProgress(Action<Pruned> report) : IProgress<Pruned>
    {
        public void Report(Pruned value) => report(value);
    }

    private static async Task<object?> ScalarAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    private static CapturedExchange Exchange(int n) => new()
    {
        Timestamp = T0.AddSeconds(n),
        Method = "POST",
        Path = $"/v1/conversations/c-{n % 4}/turns",
        ConversationKey = $"c-{n % 4}",
        RequestBody = $$"""{"userId":"u-1","message":"turn {{n}}"}""",
        Status = 200,
        ResponseBody = """{"reply":"ok"}""",
        DurationMs = 10,
    };

    private static bool SameTurn(ShadowTurn a, ShadowTurn b) =>
        a.ConversationKey == b.ConversationKey && a.TurnIndex == b.TurnIndex && a.Timestamp == b.Timestamp && a.Message == b.Message
        && a.UserId == b.UserId && a.Primary.Reply == b.Primary.Reply && a.Shadow.Reply == b.Shadow.Reply
        && a.Primary.ConversationId == b.Primary.ConversationId && a.Shadow.ConversationId == b.Shadow.ConversationId;

    private static async Task<List<ShadowTurn>> ReadAll(IShadowResultStore store)
    {
        var all = new List<ShadowTurn>();
        await foreach (var turn in store.ReadAsync(CancellationToken.None))
        {
            all.Add(turn);
        }

        return all;
    }

    private static async Task<List<string>> RowIdOrderAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT conversation_key || '/' || turn_index FROM shadow_turns ORDER BY id";
        var order = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            order.Add(reader.GetString(0));
        }

        return order;
    }
}
