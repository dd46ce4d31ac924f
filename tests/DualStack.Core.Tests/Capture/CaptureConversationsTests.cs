using DualStack.Core.Privacy;
using DualStack.Core.Capture;
using DualStack.Core.Model;

namespace DualStack.Core.Tests.Capture;

public sealed class CaptureConversationsTests
{
    private static readonly IReadOnlyList<string> Routes = ["/v1/conversations/{id}/turns", "/v1/chat/completions"];

    private static CapturedExchange Native(string key, string message, string userId = "u-1", int status = 200, string method = "POST", string? extra = null) => new()
    {
        Method = method,
        Path = $"/v1/conversations/{key}/turns",
        ConversationKey = key,
        RequestBody = $$"""{"userId":"{{userId}}","message":"{{message}}"{{extra}}}""",
        Status = status,
    };

    private static async Task<List<Conversation>> ReadAll(ICaptureStore store, IReadOnlyList<string>? routes = null)
    {
        var list = new List<Conversation>();
        await foreach (var c in CaptureConversations.ReadAsync(store, routes ?? Routes, CancellationToken.None))
        {
            list.Add(c);
        }

        return list;
    }

    [Test]
    public async Task ReadAsync_InterleavedConversations_GroupedWithTurnsInCaptureOrder()
    {
        var store = new MemoryCaptureStore();
        store.Add(Native("c-2", "hello", userId: "u-2", extra: ""","channel":"sms","metadata":{"locale":"en-GB","vip":true}"""));
        store.Add(Native("c-1", "Where is order 4411?"));
        store.Add(Native("c-2", "refund it", userId: "u-2"));
        store.Add(Native("c-1", "thanks"));

        var conversations = await ReadAll(store);

        Assert.That(conversations.Select(c => c.Id), Is.EqualTo(new[] { "c-2", "c-1" }));
        var first = conversations[0];
        Assert.That(first.UserId, Is.EqualTo("u-2"));
        Assert.That(first.Channel, Is.EqualTo("sms"));
        Assert.That(first.Source, Is.EqualTo(ConversationSource.Recorded));
        Assert.That(first.Tags, Is.EqualTo(new[] { "captured" }));
        Assert.That(first.Turns.Select(t => t.Message), Is.EqualTo(new[] { "hello", "refund it" }));
        Assert.That(first.Turns[0].Metadata, Is.EquivalentTo(new Dictionary<string, string> { ["locale"] = "en-GB", ["vip"] = "true" }));
        Assert.That(conversations[1].Channel, Is.EqualTo("web"));
        Assert.That(conversations[1].Turns.Select(t => t.Message), Is.EqualTo(new[] { "Where is order 4411?", "thanks" }));
    }

    [Test]
    public async Task ReadAsync_NonTurnFailedAndKeylessExchanges_Skipped()
    {
        var store = new MemoryCaptureStore();
        store.Add(Native("c-1", "kept"));
        store.Add(Native("c-1", "server error", status: 500));
        store.Add(Native("c-1", "no response", status: 0) with { Error = "connection refused" });
        store.Add(Native("c-1", "get", method: "GET"));
        store.Add(Native("c-1", "truncated") with { RequestTruncated = true });
        store.Add(Native("c-1", "keyless") with { ConversationKey = null });
        store.Add(Native("c-1", "memory") with { Path = "/v1/memory" });
        store.Add(Native("c-1", "broken") with { RequestBody = """{"message":"broken""" });
        store.Add(Native("c-1", "no message") with { RequestBody = """{"userId":"u-1"}""" });
        store.Add(Native("c-3", "created", status: 201));

        var conversations = await ReadAll(store);

        Assert.That(conversations.Select(c => c.Id), Is.EqualTo(new[] { "c-1", "c-3" }));
        Assert.That(conversations[0].Turns.Select(t => t.Message), Is.EqualTo(new[] { "kept" }));
    }

    [Test]
    public async Task ReadAsync_OpenAiChatShape_LastUserMessageAndDefaultUser()
    {
        var store = new MemoryCaptureStore();
        store.Add(new CapturedExchange
        {
            Method = "POST",
            Path = "/v1/chat/completions",
            ConversationKey = "s-9",
            RequestBody = """{"model":"agent","user":"s-9","messages":[{"role":"system","content":"be nice"},{"role":"user","content":"first"},{"role":"assistant","content":"hi"},{"role":"user","content":"Where is order 4411?"}]}""",
            Status = 200,
        });
        store.Add(new CapturedExchange
        {
            Method = "POST",
            Path = "/v1/chat/completions",
            ConversationKey = "s-9",
            RequestBody = """{"user":"s-9","messages":[{"role":"user","content":[{"type":"text","text":"part one"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"part two"}]}]}""",
            Status = 200,
        });

        var conversation = (await ReadAll(store)).Single();

        Assert.That(conversation.Id, Is.EqualTo("s-9"));
        Assert.That(conversation.UserId, Is.EqualTo("u-s-9"));
        Assert.That(conversation.Channel, Is.EqualTo("web"));
        Assert.That(conversation.Turns.Select(t => t.Message), Is.EqualTo(new[] { "Where is order 4411?", "part one\npart two" }));
    }

    [Test]
    public async Task ReadAsync_RouteNotInTurnRoutes_Skipped()
    {
        var store = new MemoryCaptureStore();
        store.Add(Native("c-1", "hello"));

        var conversations = await ReadAll(store, ["/v1/chat/completions"]);

        Assert.That(conversations, Is.Empty);
    }

    [Test]
    public async Task ReadAsync_SqliteStoreFilledByWriter_RoundTripsConversation()
    {
        using var temp = new TempDirectory();
        await using var store = await SqliteCaptureStore.OpenAsync(temp.File("capture.db"), CancellationToken.None);
        var extractor = new ConversationKeyExtractor(new ConversationKeyOptions());
        await using (var writer = new CaptureWriter(store, new CaptureOptions(), new Redactor([])))
        {
            foreach (var message in new[] { "Where is order 4411?", "My e-mail is bob@example.com" })
            {
                var body = System.Text.Encoding.UTF8.GetBytes($$"""{"userId":"u-7","message":"{{message}}","channel":"web"}""");
                const string path = "/v1/conversations/c-77/turns";
                writer.TryEnqueue(new PendingExchange
                {
                    Timestamp = DateTimeOffset.UnixEpoch,
                    Method = "POST",
                    Path = path,
                    ConversationKey = extractor.Extract(path, _ => null, body),
                    RequestBody = body,
                    Status = 200,
                });
            }
        }

        var conversation = await CaptureConversations.ReadAsync(store, Routes, CancellationToken.None).SingleAsync();

        Assert.That(conversation.Id, Is.EqualTo("c-77"));
        Assert.That(conversation.UserId, Is.EqualTo("u-7"));
        Assert.That(conversation.Turns[0].Message, Is.EqualTo("Where is order 4411?"));
        Assert.That(conversation.Turns[1].Message, Does.Match("^My e-mail is <email:[0-9a-f]{8}>$"));
    }
}
