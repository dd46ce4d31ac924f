using DualStack.Core.Capture;
using Microsoft.Data.Sqlite;

namespace DualStack.Core.Tests.Capture;

public sealed class SqliteCaptureStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 10, 15, 30, TimeSpan.Zero);

    private TempDirectory _temp = null!;

    [SetUp]
    public void CreateTemp() => _temp = new TempDirectory();

    [TearDown]
    public void DeleteTemp() => _temp.Dispose();

    private static CapturedExchange Exchange(int n, string? key = "c-1", int status = 200, string? error = null, bool truncated = false) => new()
    {
        Timestamp = T0.AddSeconds(n).AddTicks(1234567),
        Method = "POST",
        Path = $"/v1/conversations/{key}/turns",
        Query = n % 2 == 0 ? "?n=" + n : string.Empty,
        ConversationKey = key,
        RequestHeaders = new Dictionary<string, string> { ["Content-Type"] = "application/json", ["X-Custom"] = "[Redacted]" },
        RequestBody = $$"""{"userId":"u-1","message":"turn {{n}} é"}""",
        RequestTruncated = truncated,
        Status = status,
        ResponseHeaders = new Dictionary<string, string> { ["Content-Type"] = "application/json" },
        ResponseBody = status == 0 ? null : """{"reply":"ok <email:0011aabb>"}""",
        DurationMs = 12.5 + n,
        Error = error,
    };

    private static async Task<List<CapturedExchange>> ReadAll(ICaptureStore store, long afterId = 0, string? key = null)
    {
        var list = new List<CapturedExchange>();
        await foreach (var e in store.ReadAsync(afterId, key, CancellationToken.None))
        {
            list.Add(e);
        }

        return list;
    }

    [Test]
    public async Task AppendAsyncThenReadAsync_TwoBatches_ReturnsAllInOrderWithIds()
    {
        await using var store = await SqliteCaptureStore.OpenAsync(_temp.File("capture.db"), CancellationToken.None);
        var written = Enumerable.Range(1, 5).Select(n => Exchange(n)).ToArray();

        await store.AppendAsync(written[..3], CancellationToken.None);
        await store.AppendAsync(written[3..], CancellationToken.None);
        var read = await ReadAll(store);

        Assert.That(read.Select(e => e.Id), Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }));
        Assert.That(read.Select(e => e.RequestBody), Is.EqualTo(written.Select(e => e.RequestBody)));
        var first = read[1];
        var expected = written[1];
        Assert.Multiple(() =>
        {
            Assert.That(first.Timestamp, Is.EqualTo(expected.Timestamp));
            Assert.That(first.Method, Is.EqualTo("POST"));
            Assert.That(first.Path, Is.EqualTo(expected.Path));
            Assert.That(first.Query, Is.EqualTo("?n=2"));
            Assert.That(first.ConversationKey, Is.EqualTo("c-1"));
            Assert.That(first.RequestHeaders, Is.EquivalentTo(expected.RequestHeaders));
            Assert.That(first.RequestHeaders["content-type"], Is.EqualTo("application/json"));
            Assert.That(first.ResponseHeaders, Is.EquivalentTo(expected.ResponseHeaders));
            Assert.That(first.ResponseBody, Is.EqualTo(expected.ResponseBody));
            Assert.That(first.Status, Is.EqualTo(200));
            Assert.That(first.DurationMs, Is.EqualTo(14.5));
            Assert.That(first.Error, Is.Null);
            Assert.That(first.RequestTruncated, Is.False);
        });
    }

    [Test]
    public async Task ReadAsync_AfterId_ReturnsOnlyLaterExchanges()
    {
        await using var store = await SqliteCaptureStore.OpenAsync(_temp.File("capture.db"), CancellationToken.None);
        await store.AppendAsync([.. Enumerable.Range(1, 5).Select(n => Exchange(n))], CancellationToken.None);

        var read = await ReadAll(store, afterId: 3);

        Assert.That(read.Select(e => e.Id), Is.EqualTo(new long[] { 4, 5 }));
    }

    [Test]
    public async Task ReadAsync_ByConversation_ReturnsOnlyThatConversationInOrder()
    {
        await using var store = await SqliteCaptureStore.OpenAsync(_temp.File("capture.db"), CancellationToken.None);
        await store.AppendAsync([Exchange(1, "a"), Exchange(2, "b"), Exchange(3, "a"), Exchange(4, null), Exchange(5, "a")], CancellationToken.None);

        var read = await ReadAll(store, key: "a");

        Assert.That(read.Select(e => e.Id), Is.EqualTo(new long[] { 1, 3, 5 }));
    }

    [Test]
    public async Task GetStatsAsync_MixedExchanges_CountsEverything()
    {
        await using var store = await SqliteCaptureStore.OpenAsync(_temp.File("capture.db"), CancellationToken.None);
        await store.AppendAsync(
            [Exchange(1, "a"), Exchange(2, "b", truncated: true), Exchange(3, "a", status: 0, error: "connection refused"), Exchange(4, null)],
            CancellationToken.None);

        var stats = await store.GetStatsAsync(CancellationToken.None);

        Assert.That(stats, Is.EqualTo(new CaptureStats(4, 2, Exchange(1).Timestamp, Exchange(4).Timestamp, 1, 1)));
    }

    [Test]
    public async Task GetStatsAsync_Empty_ZerosAndNoTimes()
    {
        await using var store = await SqliteCaptureStore.OpenAsync(_temp.File("capture.db"), CancellationToken.None);

        var stats = await store.GetStatsAsync(CancellationToken.None);

        Assert.That(stats, Is.EqualTo(new CaptureStats(0, 0, null, null, 0, 0)));
    }

    [Test]
    public async Task OpenAsync_ReopenAfterDispose_KeepsDataAndIntegrity()
    {
        var path = _temp.File("sub/dir/capture.db");
        await using (var store = await SqliteCaptureStore.OpenAsync(path, CancellationToken.None))
        {
            await store.AppendAsync([Exchange(1), Exchange(2)], CancellationToken.None);
        }

        await using (var reopened = await SqliteCaptureStore.OpenAsync(path, CancellationToken.None))
        {
            await reopened.AppendAsync([Exchange(3)], CancellationToken.None);
            var read = await ReadAll(reopened);
            Assert.That(read.Select(e => e.Id), Is.EqualTo(new long[] { 1, 2, 3 }));
        }

        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo("ok"));
        command.CommandText = "PRAGMA journal_mode;";
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo("wal"));
        command.CommandText = "PRAGMA user_version;";
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(SqliteCaptureStore.SchemaVersion));
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('ix_exchanges_conversation_key', 'ix_exchanges_ts');";
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(2));
    }

    [Test]
    public async Task ReadAsync_WhileAppending_SeesCommittedRows()
    {
        await using var store = await SqliteCaptureStore.OpenAsync(_temp.File("capture.db"), CancellationToken.None);
        await store.AppendAsync([Exchange(1), Exchange(2)], CancellationToken.None);

        var seen = new List<long>();
        await foreach (var e in store.ReadAsync(0, null, CancellationToken.None))
        {
            seen.Add(e.Id);
            if (e.Id == 1)
            {
                // A reader in WAL mode does not block the writer.
                await store.AppendAsync([Exchange(3)], CancellationToken.None);
            }
        }

        Assert.That(seen, Is.EqualTo(new long[] { 1, 2 }));
        Assert.That((await store.GetStatsAsync(CancellationToken.None)).Exchanges, Is.EqualTo(3));
    }

    [Test]
    public void OpenAsync_NotASqliteFile_ThrowsInvalidDataNamingPath()
    {
        var path = _temp.File("notes.db");
        File.WriteAllText(path, "this is not a database, just some text that is long enough to have a header");

        var ex = Assert.ThrowsAsync<InvalidDataException>(() => SqliteCaptureStore.OpenAsync(path, CancellationToken.None));

        Assert.That(ex!.Message, Does.Contain(path));
    }

    [Test]
    public async Task AppendAsync_AfterDispose_ThrowsObjectDisposed()
    {
        var store = await SqliteCaptureStore.OpenAsync(_temp.File("capture.db"), CancellationToken.None);
        await store.DisposeAsync();

        Assert.ThrowsAsync<ObjectDisposedException>(() => store.AppendAsync([Exchange(1)], CancellationToken.None));
    }

    [Test]
    public async Task AppendAsync_FileDeleted_ThrowsThenNextAppendCreatesNewFile()
    {
        var path = _temp.File("capture.db");
        await using var store = await SqliteCaptureStore.OpenAsync(path, CancellationToken.None);
        await store.AppendAsync([Exchange(1), Exchange(2)], CancellationToken.None);
        File.Delete(path);

        var ex = Assert.ThrowsAsync<IOException>(() => store.AppendAsync([Exchange(3)], CancellationToken.None));
        await store.AppendAsync([Exchange(4)], CancellationToken.None);
        var read = await ReadAll(store);

        Assert.That(ex!.Message, Does.Contain(path));
        Assert.That(File.Exists(path), Is.True);
        Assert.That(read.Select(e => (e.Id, e.Timestamp)), Is.EqualTo(new[] { (1L, Exchange(4).Timestamp) }));
    }

    [Test]
    public async Task AppendAsync_EdgeTexts_ReadBackExactly()
    {
        // The insert binds text by position from a reused UTF-8 buffer: empty is not NULL, NULL stays NULL, characters
        // outside the BMP survive, and a body larger than the buffer grows it instead of being cut.
        var large = string.Concat(Enumerable.Repeat("été 🚀 ", 3_000));
        var rows = new[]
        {
            Exchange(1) with { Query = string.Empty, RequestBody = string.Empty, ResponseBody = null, ConversationKey = null, Error = "ReadTimeout: 🚀 slow" },
            Exchange(2) with { RequestBody = large, ResponseBody = "{\"reply\":\"\u0000 nul and \ud83d\ude80\"}", RequestHeaders = new Dictionary<string, string>() },
            Exchange(3) with { Method = "GET", Path = "/v1/ünïcode/😀", Query = "?q=a%20b&emoji=😀" },
        };

        await using var store = await SqliteCaptureStore.OpenAsync(_temp.File("capture.db"), CancellationToken.None);
        await store.AppendAsync(rows, CancellationToken.None);
        var read = await ReadAll(store);

        Assert.Multiple(() =>
        {
            Assert.That(read[0].Query, Is.EqualTo(string.Empty));
            Assert.That(read[0].RequestBody, Is.EqualTo(string.Empty));
            Assert.That(read[0].ResponseBody, Is.Null);
            Assert.That(read[0].ConversationKey, Is.Null);
            Assert.That(read[0].Error, Is.EqualTo("ReadTimeout: 🚀 slow"));
            Assert.That(read[1].RequestBody, Is.EqualTo(large));
            Assert.That(read[1].ResponseBody, Is.EqualTo(rows[1].ResponseBody));
            Assert.That(read[1].RequestHeaders, Is.Empty);
            Assert.That(read[2].Method, Is.EqualTo("GET"));
            Assert.That(read[2].Path, Is.EqualTo("/v1/ünïcode/😀"));
            Assert.That(read[2].Query, Is.EqualTo("?q=a%20b&emoji=😀"));
            Assert.That(read.Select(e => e.Timestamp), Is.EqualTo(rows.Select(e => e.Timestamp)));
        });
    }
}
