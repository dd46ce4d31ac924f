using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DualStack.Core.Memory;
using DualStack.Core.Stacks;
using DualStack.TestUtils;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace DualStack.Core.Tests.Memory;

/// <summary>
/// Contract v1's memory API on 127.0.0.1 port 0 (Kestrel), behaving like the sample agent's store: a change feed in
/// write order, an entry re-listed when changed, an identical upsert changing nothing, cursor = last sequence scanned.
/// Counts every request and can fail or intercept them.
/// </summary>
internal sealed class FakeMemoryServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Stored> _byId = new(StringComparer.Ordinal);
    private readonly List<Stored> _log = [];
    private LoopbackApp _app = null!;
    private long _sequence;
    private int _puts;
    private int _failGets;
    private int _failPuts;

    private FakeMemoryServer()
    {
    }

    public Uri BaseAddress => _app.Address;

    public static async Task<FakeMemoryServer> StartAsync()
    {
        var server = new FakeMemoryServer();
        server._app = await LoopbackApp.StartAsync(app => app.Run(server.HandleAsync));
        return server;
    }

    /// <summary>Called before each PUT is applied with its 1-based number; may throw to drop the connection's answer.</summary>
    public Action<int, string>? OnPut { get; set; }

    /// <summary>Bearer token required on every request when set.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>Number of PUT requests received (applied or not).</summary>
    public int Puts => Volatile.Read(ref _puts);

    /// <summary>PUTs received per id.</summary>
    public ConcurrentDictionary<string, int> PutsById { get; } = new(StringComparer.Ordinal);

    /// <summary>The <c>since</c> of every GET, "" when absent, in arrival order.</summary>
    public ConcurrentQueue<string> GetSinces { get; } = new();

    /// <summary>The next <paramref name="count"/> GETs answer 503.</summary>
    public void FailNextGets(int count) => Interlocked.Exchange(ref _failGets, count);

    /// <summary>The next <paramref name="count"/> PUTs answer 503.</summary>
    public void FailNextPuts(int count) => Interlocked.Exchange(ref _failPuts, count);

    public MemoryClient Client() => MemoryClient.Create(BaseAddress.AbsoluteUri);

    /// <summary>Writes (or changes) an entry directly, as the agent itself would.</summary>
    public void Write(string id, string userId, string text, string? conversationId = null, DateTimeOffset? createdAt = null) =>
        Upsert(id, new Body(userId, text, conversationId, createdAt ?? new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero)));

    /// <summary>Current entries by id.</summary>
    public IReadOnlyDictionary<string, NativeMemoryEntry> Entries()
    {
        lock (_gate)
        {
            return _byId.Values.ToDictionary(s => s.Entry.Id!, s => s.Entry, StringComparer.Ordinal);
        }
    }

    /// <summary>Sequence of the last write: unchanged means nothing was written.</summary>
    public long Sequence
    {
        get
        {
            lock (_gate)
            {
                return _sequence;
            }
        }
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            if (RequiredToken is { } token && request.Headers.Authorization != "Bearer " + token)
            {
                await WriteAsync(response, 401, new { title = "unauthorized" });
                return;
            }

            // The path as sent (Kestrel's Path is decoded already): ids are unescaped once, below.
            var path = (context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "/").Split('?')[0];
            if (HttpMethods.IsGet(request.Method) && path == "/v1/memory")
            {
                var since = request.Query["since"].FirstOrDefault();
                GetSinces.Enqueue(since ?? string.Empty);
                if (Interlocked.Decrement(ref _failGets) >= 0)
                {
                    await WriteAsync(response, 503, new { title = "unavailable" });
                    return;
                }

                var limit = int.TryParse(request.Query["limit"].FirstOrDefault(), CultureInfo.InvariantCulture, out var l) ? l : 500;
                var after = string.IsNullOrEmpty(since) ? 0 : long.Parse(since, CultureInfo.InvariantCulture);
                await WriteAsync(response, 200, Read(request.Query["userId"].FirstOrDefault(), after, limit));
                return;
            }

            if (HttpMethods.IsPut(request.Method) && path.StartsWith("/v1/memory/", StringComparison.Ordinal))
            {
                var id = Uri.UnescapeDataString(path["/v1/memory/".Length..]);
                var n = Interlocked.Increment(ref _puts);
                PutsById.AddOrUpdate(id, 1, (_, c) => c + 1);
                OnPut?.Invoke(n, id);
                if (Interlocked.Decrement(ref _failPuts) >= 0)
                {
                    await WriteAsync(response, 503, new { title = "unavailable" });
                    return;
                }

                var body = await JsonSerializer.DeserializeAsync<Body>(request.Body, Json);
                if (body is null || string.IsNullOrWhiteSpace(body.UserId) || string.IsNullOrWhiteSpace(body.Text))
                {
                    await WriteAsync(response, 400, new { title = "'userId' and 'text' are required" });
                    return;
                }

                await WriteAsync(response, 200, Upsert(id, body).Entry);
                return;
            }

            await WriteAsync(response, 404, new { title = "not found" });
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // An interceptor threw: drop the connection without an answer, like a crashing server.
            context.Abort();
        }
    }

    private object Read(string? userId, long after, int limit)
    {
        lock (_gate)
        {
            var entries = new List<NativeMemoryEntry>();
            var cursor = after;
            foreach (var stored in _log.Where(s => s.Sequence > after))
            {
                if (entries.Count >= limit)
                {
                    break;
                }

                if (!ReferenceEquals(_byId[stored.Entry.Id!], stored))
                {
                    continue;
                }

                cursor = stored.Sequence;
                if (userId is null || stored.Entry.UserId == userId)
                {
                    entries.Add(stored.Entry);
                }
            }

            return new { entries, cursor = cursor.ToString(CultureInfo.InvariantCulture) };
        }
    }

    private Stored Upsert(string id, Body body)
    {
        lock (_gate)
        {
            _byId.TryGetValue(id, out var existing);
            var created = body.CreatedAt ?? existing?.Entry.CreatedAt ?? DateTimeOffset.UtcNow;
            var entry = new NativeMemoryEntry { Id = id, UserId = body.UserId, Text = body.Text, ConversationId = body.ConversationId, CreatedAt = created };
            if (existing is not null && existing.Entry == entry)
            {
                return existing;
            }

            var stored = new Stored(entry, ++_sequence);
            _byId[id] = stored;
            _log.Add(stored);
            return stored;
        }
    }

    private static async Task WriteAsync(HttpResponse response, int status, object body)
    {
        response.StatusCode = status;
        response.ContentType = status >= 400 ? "application/problem+json" : "application/json";
        var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body, Json));
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes);
    }

    private sealed record Stored(NativeMemoryEntry Entry, long Sequence);

    private sealed record Body(string? UserId, string? Text, string? ConversationId, DateTimeOffset? CreatedAt);
}
