using System.Text.Json;
using DualStack.Core.Privacy;
using System.Text;
using DualStack.Core.Capture;
using Microsoft.Extensions.Time.Testing;

namespace DualStack.Core.Tests.Capture;

public sealed class CaptureWriterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    private static PendingExchange Pending(int n = 1, string? body = null, string? key = "c-1") => new()
    {
        Timestamp = T0.AddSeconds(n),
        Method = "POST",
        Path = $"/v1/conversations/{key}/turns",
        ConversationKey = key,
        RequestHeaders = [new("Content-Type", "application/json")],
        RequestBody = Encoding.UTF8.GetBytes(body ?? $$"""{"userId":"u-1","message":"turn {{n}}"}"""),
        Status = 200,
        ResponseBody = Encoding.UTF8.GetBytes("""{"reply":"ok"}"""),
        DurationMs = 10,
    };

    private static Redactor Redactor() => new([]);

    [Test]
    public async Task TryEnqueue_PersonalDataAndSecrets_NeverReachTheDatabaseFile()
    {
        using var temp = new TempDirectory();
        var path = temp.File("capture.db");
        var store = await SqliteCaptureStore.OpenAsync(path, CancellationToken.None);
        var writer = new CaptureWriter(store, new CaptureOptions(), Redactor());
        var accepted = writer.TryEnqueue(Pending(body: """{"userId":"u-1","message":"I am bob.secret@example.com, card 4111 1111 1111 1111"}""") with
        {
            Query = "?contact=bob.secret@example.com",
            RequestHeaders =
            [
                new("Authorization", "Bearer tok-very-secret-123"),
                new("Cookie", "session=cookie-very-secret-456"),
                new("User-Agent", "agent bob.secret@example.com"),
                new("X-Api-Key", "key-very-secret-789"),
            ],
            ResponseHeaders = [new("Set-Cookie", "sid=set-cookie-very-secret")],
            ResponseBody = Encoding.UTF8.GetBytes("""{"reply":"Mail sent to bob.secret@example.com"}"""),
        });

        await writer.FlushAsync(CancellationToken.None);
        await writer.DisposeAsync();
        var stored = await store.ReadAsync(0, null, CancellationToken.None).SingleAsync();
        await store.DisposeAsync();

        Assert.That(accepted, Is.True);
        Assert.That(writer.Written, Is.EqualTo(1));
        Assert.That(stored.RequestBody, Does.Match("I am <email:[0-9a-f]{8}>, card <card:[0-9a-f]{8}>"));
        var onDisk = string.Concat(Directory.GetFiles(temp.Path).Select(f => Encoding.UTF8.GetString(File.ReadAllBytes(f))));
        Assert.That(onDisk, Does.Contain("<email:"));
        foreach (var secret in new[] { "bob.secret@example.com", "tok-very-secret-123", "cookie-very-secret-456", "key-very-secret-789", "set-cookie-very-secret", "4111 1111 1111 1111", "Authorization" })
        {
            Assert.That(onDisk, Does.Not.Contain(secret), secret);
        }
    }

    [Test]
    public async Task TryEnqueue_Headers_AllowListedRedactedOthersMaskedCredentialsDropped()
    {
        var store = new MemoryCaptureStore();
        await using (var writer = new CaptureWriter(store, new CaptureOptions { AllowedHeaders = ["Content-Type", "X-Request-Id", "Accept"] }, Redactor()))
        {
            writer.TryEnqueue(Pending() with
            {
                RequestHeaders =
                [
                    new("content-type", "application/json"),
                    new("X-Request-Id", "req for bob@example.com"),
                    new("Accept", "text/html"),
                    new("Accept", "application/json"),
                    new("X-Tenant", "acme"),
                    new("authorization", "Bearer x"),
                    new("Proxy-Authorization", "Basic y"),
                    new("COOKIE", "a=b"),
                ],
                ResponseHeaders = [new("Content-Type", "application/json"), new("set-cookie", "sid=1"), new("Server", "old-stack")],
            });
        }

        var stored = store.Stored.Single();
        Assert.That(stored.RequestHeaders.Keys, Is.EquivalentTo(new[] { "content-type", "X-Request-Id", "Accept", "X-Tenant" }));
        Assert.That(stored.RequestHeaders["Content-Type"], Is.EqualTo("application/json"));
        Assert.That(stored.RequestHeaders["X-Request-Id"], Does.Match("^req for <email:[0-9a-f]{8}>$"));
        Assert.That(stored.RequestHeaders["Accept"], Is.EqualTo("text/html, application/json"));
        Assert.That(stored.RequestHeaders["X-Tenant"], Is.EqualTo(CaptureWriter.RedactedValue));
        Assert.That(stored.ResponseHeaders, Is.EquivalentTo(new Dictionary<string, string> { ["Content-Type"] = "application/json", ["Server"] = "[Redacted]" }));
    }

    [Test]
    public async Task TryEnqueue_BodiesOverLimit_CutAtCharacterBoundaryAndFlagged()
    {
        var store = new MemoryCaptureStore();
        await using (var writer = new CaptureWriter(store, new CaptureOptions { MaxBodyBytes = 5 }, Redactor()))
        {
            writer.TryEnqueue(Pending(body: "ééééé") with { ResponseBody = Encoding.UTF8.GetBytes("12345") });
            writer.TryEnqueue(Pending(body: "abc") with { RequestTruncated = true, ResponseBody = Encoding.UTF8.GetBytes("123456") });
            writer.TryEnqueue(Pending() with { RequestBody = ReadOnlyMemory<byte>.Empty, ResponseBody = ReadOnlyMemory<byte>.Empty });
        }

        var stored = store.Stored;
        Assert.That(stored[0].RequestBody, Is.EqualTo("éé"));
        Assert.That(stored[0].RequestTruncated, Is.True);
        Assert.That(stored[0].ResponseBody, Is.EqualTo("12345"));
        Assert.That(stored[0].ResponseTruncated, Is.False);
        Assert.That(stored[1].RequestBody, Is.EqualTo("abc"));
        Assert.That(stored[1].RequestTruncated, Is.True);
        Assert.That(stored[1].ResponseBody, Is.EqualTo("12345"));
        Assert.That(stored[1].ResponseTruncated, Is.True);
        Assert.That(stored[2].RequestBody, Is.Null);
        Assert.That(stored[2].ResponseBody, Is.Null);
    }

    [Test]
    public async Task TryEnqueue_QueueFull_ReturnsFalseAndCountsDropped()
    {
        using var gate = new SemaphoreSlim(0);
        var store = new MemoryCaptureStore { Gate = gate };
        var writer = new CaptureWriter(store, new CaptureOptions { QueueCapacity = 2, BatchSize = 1 }, Redactor());
        Assert.That(writer.TryEnqueue(Pending(1)), Is.True);
        await store.Started.WaitAsync(); // the loop holds exchange 1 in a blocked append

        var second = writer.TryEnqueue(Pending(2));
        var third = writer.TryEnqueue(Pending(3));
        var fourth = writer.TryEnqueue(Pending(4));

        Assert.That((second, third, fourth), Is.EqualTo((true, true, false)));
        Assert.That(writer.Enqueued, Is.EqualTo(3));
        Assert.That(writer.Dropped, Is.EqualTo(1));
        Assert.That(writer.Pending, Is.EqualTo(3));
        gate.Release(3);
        await writer.DisposeAsync();
        Assert.That(writer.Written, Is.EqualTo(3));
        Assert.That(writer.Batches, Is.EqualTo(3));
        Assert.That(store.Stored.Select(e => e.Timestamp), Is.EqualTo(new[] { T0.AddSeconds(1), T0.AddSeconds(2), T0.AddSeconds(3) }));
    }

    [Test]
    public async Task TryEnqueue_MoreArriveWhileTheWriterLingers_OneTransaction()
    {
        var store = new MemoryCaptureStore();
        var writer = new CaptureWriter(store, new CaptureOptions { BatchSize = 256, BatchLinger = TimeSpan.FromSeconds(1) }, Redactor());
        writer.TryEnqueue(Pending(0));
        await Task.Delay(50); // the loop has woken for exchange 0 and is waiting for more
        for (var i = 1; i < 100; i++)
        {
            writer.TryEnqueue(Pending(i));
        }

        await writer.FlushAsync(CancellationToken.None);
        await writer.DisposeAsync();

        Assert.That(store.BatchSizes, Is.EqualTo(new[] { 100 }), "a partial batch waits for the exchanges in flight instead of committing one row");
        Assert.That(writer.Written, Is.EqualTo(100));
    }

    [Test]
    public async Task Dispose_WhileLingering_WritesWhatIsQueued()
    {
        var store = new MemoryCaptureStore();
        var writer = new CaptureWriter(store, new CaptureOptions { BatchLinger = TimeSpan.FromMilliseconds(200) }, Redactor());
        writer.TryEnqueue(Pending(1));

        await writer.DisposeAsync();

        Assert.That(writer.Written, Is.EqualTo(1));
        Assert.That(store.Stored, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task TryEnqueue_StoreThrows_BatchDroppedAndLaterBatchesWritten()
    {
        var time = new FakeTimeProvider(T0.AddHours(1));
        var store = new MemoryCaptureStore { Fail = call => call == 1 ? new IOException("No space left on device") : null };
        await using var writer = new CaptureWriter(store, new CaptureOptions(), Redactor(), time);

        writer.TryEnqueue(Pending(1));
        await writer.FlushAsync(CancellationToken.None);
        Assert.That(writer.StoreFailures, Is.EqualTo(1));
        Assert.That(writer.Dropped, Is.EqualTo(1));
        Assert.That(writer.Written, Is.Zero);
        Assert.That(writer.LastError, Does.Contain("IOException").And.Contain("No space left on device"));
        Assert.That(writer.LastErrorAt, Is.EqualTo(T0.AddHours(1)));

        writer.TryEnqueue(Pending(2));
        writer.TryEnqueue(Pending(3));
        await writer.FlushAsync(CancellationToken.None);

        Assert.That(writer.Written, Is.EqualTo(2));
        Assert.That(writer.Dropped, Is.EqualTo(1));
        Assert.That(writer.StoreFailures, Is.EqualTo(1));
        Assert.That(store.Stored.Select(e => e.Timestamp), Is.EqualTo(new[] { T0.AddSeconds(2), T0.AddSeconds(3) }));
    }

    [Test]
    public async Task FlushAsync_StoreBlocked_CompletesOnlyWhenEverythingIsWritten()
    {
        using var gate = new SemaphoreSlim(0);
        var store = new MemoryCaptureStore { Gate = gate };
        await using var writer = new CaptureWriter(store, new CaptureOptions { BatchSize = 4 }, Redactor());
        writer.TryEnqueue(Pending(1));
        await store.Started.WaitAsync();
        for (var n = 2; n <= 6; n++)
        {
            writer.TryEnqueue(Pending(n));
        }

        var flush = writer.FlushAsync(CancellationToken.None);
        Assert.That(flush.IsCompleted, Is.False);
        gate.Release(3);
        await flush;

        Assert.That(writer.Written, Is.EqualTo(6));
        Assert.That(writer.Pending, Is.Zero);
        Assert.That(store.BatchSizes, Is.EqualTo(new[] { 1, 4, 1 }));
    }

    [Test]
    public async Task FlushAsync_Cancelled_ThrowsWithoutLosingExchanges()
    {
        using var gate = new SemaphoreSlim(0);
        var store = new MemoryCaptureStore { Gate = gate };
        var writer = new CaptureWriter(store, new CaptureOptions(), Redactor());
        writer.TryEnqueue(Pending(1));
        using var cts = new CancellationTokenSource();

        var flush = writer.FlushAsync(cts.Token);
        await cts.CancelAsync();

        Assert.That(async () => await flush, Throws.InstanceOf<OperationCanceledException>());
        gate.Release();
        await writer.DisposeAsync();
        Assert.That(writer.Written, Is.EqualTo(1));
    }

    [Test]
    public async Task DisposeAsync_PendingExchanges_DrainsThenRefusesNewOnes()
    {
        var store = new MemoryCaptureStore();
        var writer = new CaptureWriter(store, new CaptureOptions { BatchSize = 7 }, Redactor());
        for (var n = 1; n <= 50; n++)
        {
            writer.TryEnqueue(Pending(n));
        }

        await writer.DisposeAsync();
        var late = writer.TryEnqueue(Pending(51));

        Assert.That(store.Stored, Has.Count.EqualTo(50));
        Assert.That(writer.Written, Is.EqualTo(50));
        Assert.That(late, Is.False);
        Assert.That(writer.Dropped, Is.EqualTo(1));
        Assert.That(store.BatchSizes, Has.All.LessThanOrEqualTo(7));
    }

    [Test]
    public async Task TryEnqueue_ConversationKeyWithEmail_KeyRedactedConsistently()
    {
        var store = new MemoryCaptureStore();
        await using (var writer = new CaptureWriter(store, new CaptureOptions(), Redactor()))
        {
            writer.TryEnqueue(Pending(1, key: "bob@example.com"));
            writer.TryEnqueue(Pending(2, key: "bob@example.com"));
        }

        var keys = store.Stored.Select(e => e.ConversationKey).ToArray();
        Assert.That(keys[0], Does.Match("^<email:[0-9a-f]{8}>$"));
        Assert.That(keys[1], Is.EqualTo(keys[0]));
    }

    [Test]
    public async Task TryEnqueue_CustomPatternRunningPastAJsonValue_BodyStaysJsonWithEveryFieldAndNoSecret()
    {
        // "token=\S+" is how people write a token pattern; over JSON text it would also take the closing quote and
        // every field after it, and a request body that no longer parses cannot be exported or replayed.
        var store = new MemoryCaptureStore();
        await using (var writer = new CaptureWriter(store, new CaptureOptions(), new Redactor([@"token=\S+"])))
        {
            writer.TryEnqueue(Pending(1, body: """{"userId":"u-1","message":"my token=abc123xyz","channel":"web"}"""));
        }

        var body = store.Stored.Single().RequestBody!;
        Assert.That(body, Does.Not.Contain("abc123xyz"));
        using var json = JsonDocument.Parse(body);
        Assert.That(json.RootElement.GetProperty("message").GetString(), Does.Match("^my <secret:[0-9a-f]{8}>$"));
        Assert.That((json.RootElement.GetProperty("userId").GetString(), json.RootElement.GetProperty("channel").GetString()), Is.EqualTo(("u-1", "web")));
    }
}
