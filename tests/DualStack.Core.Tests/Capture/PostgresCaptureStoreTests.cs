using DualStack.Core.Capture;
using DualStack.Core.Postgres;
using DualStack.TestUtils;
using Npgsql;

namespace DualStack.Core.Tests.Capture;

/// <summary>The PostgreSQL capture store against a real server (a private cluster started by the test set-up).</summary>
[Category("postgres")]
public sealed class PostgresCaptureStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);

    private static async Task<string> Database() => await PostgresCluster.NewDatabaseAsync("capture");

    private static CapturedExchange Exchange(int i, string? key = null, DateTimeOffset? at = null) => new()
    {
        // PostgreSQL keeps microseconds: test timestamps are whole microseconds.
        Timestamp = (at ?? T0).AddTicks(i * 10L),
        Method = "POST",
        Path = $"/v1/conversations/{key ?? "c-" + (i % 5)}/turns",
        ConversationKey = key ?? "c-" + (i % 5),
        RequestHeaders = new Dictionary<string, string> { ["Content-Type"] = "application/json", ["X-Api-Key"] = "[Redacted]" },
        RequestBody = $$"""{"message":"turn {{i}}"}""",
        Status = 200,
        ResponseHeaders = new Dictionary<string, string> { ["Content-Type"] = "application/json" },
        ResponseBody = $$"""{"reply":"ok {{i}}"}""",
        DurationMs = 1.25 + i,
    };

    [Test]
    public async Task AppendAsync_EveryField_RoundTrips()
    {
        await using var store = await PostgresCaptureStore.OpenAsync(await Database(), CancellationToken.None);
        var full = Exchange(1) with { Query = "?a=1", RequestTruncated = true, ResponseTruncated = true, Error = null };
        var failed = new CapturedExchange { Timestamp = T0, Method = "GET", Path = "/x", ConversationKey = null, Status = 0, Error = "ConnectionRefused: no response", DurationMs = 0.5, RequestBody = null, ResponseBody = "nul\0inside" };
        await store.AppendAsync([full, failed], CancellationToken.None);

        var read = await ReadAll(store);
        Assert.That(read, Has.Count.EqualTo(2));
        Assert.That(read[0] with { Id = 0 }, Is.EqualTo(full with { Id = 0, RequestHeaders = read[0].RequestHeaders, ResponseHeaders = read[0].ResponseHeaders }));
        Assert.That(read[0].RequestHeaders, Is.EquivalentTo(full.RequestHeaders));
        Assert.That(read[0].ResponseHeaders, Is.EquivalentTo(full.ResponseHeaders));
        Assert.That(read[1].Error, Is.EqualTo(failed.Error));
        Assert.That(read[1].ConversationKey, Is.Null);
        Assert.That(read[1].RequestBody, Is.Null);
        Assert.That(read[1].ResponseBody, Is.EqualTo("nul\uFFFDinside"), "PostgreSQL text cannot hold NUL: it is replaced, the rest kept");
        Assert.That(read[1].Id, Is.GreaterThan(read[0].Id));
    }

    [Test]
    public async Task AppendAsync_ManyBatches_ReadsInOrderByConversationAndCounts()
    {
        await using var store = await PostgresCaptureStore.OpenAsync(await Database(), CancellationToken.None);
        for (var b = 0; b < 20; b++)
        {
            await store.AppendAsync(Enumerable.Range(b * 250, 250).Select(i => Exchange(i)).ToArray(), CancellationToken.None);
        }

        var all = await ReadAll(store);
        Assert.That(all.Select(e => e.DurationMs), Is.EqualTo(Enumerable.Range(0, 5000).Select(i => 1.25 + i)), "every exchange once, in append order");
        var c3 = await ReadAll(store, key: "c-3");
        Assert.That(c3, Has.Count.EqualTo(1000));
        Assert.That(c3.Select(e => e.Id), Is.Ordered);
        var after = await ReadAll(store, afterId: all[4000].Id);
        Assert.That(after, Has.Count.EqualTo(999));

        var stats = await store.GetStatsAsync(CancellationToken.None);
        Assert.That(stats.Exchanges, Is.EqualTo(5000));
        Assert.That(stats.Conversations, Is.EqualTo(5));
        Assert.That(stats.First, Is.EqualTo(T0));
        Assert.That(stats.Last, Is.EqualTo(T0.AddTicks(4999 * 10L)));
    }

    [Test]
    public async Task DeleteBeforeAsync_RetentionCutoff_DeletesOnlyOlderExchanges()
    {
        await using var store = await PostgresCaptureStore.OpenAsync(await Database(), CancellationToken.None);
        await store.AppendAsync([Exchange(0, "old", T0.AddDays(-20)), Exchange(1, "old", T0.AddDays(-15)), Exchange(2, "new", T0.AddDays(-13)), Exchange(3, "new", T0)], CancellationToken.None);

        var deleted = await store.DeleteBeforeAsync(T0 - CaptureStores.ParseRetention("14d"), null, CancellationToken.None);

        Assert.That(deleted, Is.EqualTo(new Pruned(2, 0)), "no shadow table in this database: no pairs");
        Assert.That((await ReadAll(store)).Select(e => e.ConversationKey), Is.EqualTo(new[] { "new", "new" }));
    }

    [Test]
    public async Task OpenAsync_TwoInstancesOnOneDatabase_MigrateOnceAndShareExchanges()
    {
        var database = await Database();
        var opening = Enumerable.Range(0, 4).Select(_ => PostgresCaptureStore.OpenAsync(database, CancellationToken.None)).ToArray();
        var stores = await Task.WhenAll(opening);
        try
        {
            await Task.WhenAll(stores.Select((s, i) => s.AppendAsync([Exchange(i)], CancellationToken.None)));
            Assert.That((await stores[0].GetStatsAsync(CancellationToken.None)).Exchanges, Is.EqualTo(4));
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT version FROM dualstack_schema WHERE component = 'captures'", connection);
            Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(1));
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task OpenAsync_UnreachableServer_ErrorNamesTheValueWithoutThePassword()
    {
        var cluster = await PostgresCluster.SharedAsync();
        var unreachable = $"Host=127.0.0.1;Port=1;Username=app;Password=s3cret-pw;Database=captures;Timeout=2";
        var ex = Assert.ThrowsAsync<InvalidDataException>(async () => await CaptureStores.OpenAsync(unreachable, CancellationToken.None));
        Assert.That(ex!.Message, Does.StartWith("--store: cannot connect to PostgreSQL at 'Host=127.0.0.1;Port=1;Username=app;Password=***;Database=captures;Timeout=2'"));
        Assert.That(ex.Message, Does.Not.Contain("s3cret-pw"));

        var wrongPassword = $"postgres://postgres:wrong-pw-42@127.0.0.1:{cluster.Port}/postgres";
        var auth = Assert.ThrowsAsync<InvalidDataException>(async () => await CaptureStores.OpenAsync(wrongPassword, CancellationToken.None));
        Assert.That(auth!.Message, Does.Contain($"postgres://postgres:***@127.0.0.1:{cluster.Port}/postgres"));
        Assert.That(auth.Message, Does.Contain("password authentication failed"));
        Assert.That(auth.Message, Does.Not.Contain("wrong-pw-42"));

        var garbage = Assert.ThrowsAsync<ArgumentException>(async () => await CaptureStores.OpenAsync("Host=x;Pasword=oops-pw;Frobnicate=1", CancellationToken.None));
        Assert.That(garbage!.Message, Does.StartWith("--store: 'Host=x;"));
    }

    [TestCase("postgres://u:p@db:5432/captures", true)]
    [TestCase("postgresql://db/captures", true)]
    [TestCase("Host=db;Database=captures", true)]
    [TestCase("Server=db;Database=captures", true)]
    [TestCase("captures.db", false)]
    [TestCase("data/host=1.db", false)]
    public void IsPostgres_StoreValue_ChoosesTheEngine(string value, bool postgres) =>
        Assert.That(PostgresConnection.IsPostgres(value), Is.EqualTo(postgres));

    [TestCase("postgres://app:p%40ss@db/x", "postgres://app:***@db/x")]
    [TestCase("Host=db;Password=abc;Database=x", "Host=db;Password=***;Database=x")]
    [TestCase("Host=db;pwd='a;b';Database=x", "Host=db;pwd=***;Database=x")]
    public void Redact_ConnectionString_HidesThePassword(string value, string expected) =>
        Assert.That(PostgresConnection.Redact(value), Is.EqualTo(expected));

    [Test]
    public void Parse_UrlForm_MapsEveryPart()
    {
        var builder = PostgresConnection.Parse("postgres://app:p%40ss@db.internal:6543/captures?sslmode=require", "--store");
        Assert.That((builder.Host, builder.Port, builder.Username, builder.Password, builder.Database, builder.SslMode.ToString()), Is.EqualTo(("db.internal", 6543, "app", "p@ss", "captures", "Require")));
    }

    [TestCase("14d", 14 * 24 * 60)]
    [TestCase("36h", 36 * 60)]
    [TestCase("90m", 90)]
    [TestCase("2w", 14 * 24 * 60)]
    public void ParseRetention_Period_IsParsed(string text, int minutes) =>
        Assert.That(CaptureStores.ParseRetention(text), Is.EqualTo(TimeSpan.FromMinutes(minutes)));

    [TestCase("14")]
    [TestCase("-1d")]
    [TestCase("fortnight")]
    public void ParseRetention_Invalid_ErrorNamesOptionAndValue(string text) =>
        Assert.That(() => CaptureStores.ParseRetention(text), Throws.TypeOf<FormatException>().With.Message.StartsWith($"--retain: '{text}'"));

    private static async Task<List<CapturedExchange>> ReadAll(ICaptureStore store, long afterId = 0, string? key = null)
    {
        var list = new List<CapturedExchange>();
        await foreach (var e in store.ReadAsync(afterId, key, CancellationToken.None))
        {
            list.Add(e);
        }

        return list;
    }
}
