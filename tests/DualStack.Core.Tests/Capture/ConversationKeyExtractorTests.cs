using System.Text;
using DualStack.Core.Capture;

namespace DualStack.Core.Tests.Capture;

public sealed class ConversationKeyExtractorTests
{
    private static readonly Func<string, string?> NoHeaders = _ => null;

    private static Func<string, string?> Headers(params (string Name, string Value)[] headers) =>
        name => headers.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static byte[] Body(string json) => Encoding.UTF8.GetBytes(json);

    [Test]
    public void Extract_HeaderConfigured_ReturnsHeaderValue()
    {
        var extractor = new ConversationKeyExtractor(new ConversationKeyOptions { Header = "x-openclaw-session-key" });

        var key = extractor.Extract("/v1/chat/completions", Headers(("X-OpenClaw-Session-Key", "s-42")), Body("""{"user":"u-9"}"""));

        Assert.That(key, Is.EqualTo("s-42"));
    }

    [Test]
    public void Extract_RouteTemplate_ReturnsDecodedId()
    {
        var extractor = new ConversationKeyExtractor(new ConversationKeyOptions());

        Assert.That(extractor.Extract("/v1/conversations/c-1/turns", NoHeaders, default), Is.EqualTo("c-1"));
        Assert.That(extractor.Extract("/v1/conversations/c%2F1%20x/turns", NoHeaders, default), Is.EqualTo("c/1 x"));
    }

    [TestCase("/v1/Conversations/c-1/turns")]
    [TestCase("/v1/conversations/c-1")]
    [TestCase("/v1/conversations//turns")]
    [TestCase("/v1/conversations/c-1/turns/extra")]
    [TestCase("/v2/conversations/c-1/turns")]
    public void Extract_PathNotMatchingRoute_ReturnsNull(string path)
    {
        var extractor = new ConversationKeyExtractor(new ConversationKeyOptions { JsonPaths = [] });

        Assert.That(extractor.Extract(path, NoHeaders, default), Is.Null);
    }

    [Test]
    public void Extract_JsonPaths_ReturnsFirstPathFound()
    {
        var extractor = new ConversationKeyExtractor(new ConversationKeyOptions { Routes = [] });

        Assert.That(extractor.Extract("/v1/chat/completions", NoHeaders, Body("""{"model":"m","user":"u-9","messages":[{"role":"user","content":"hi"}]}""")), Is.EqualTo("u-9"));
        Assert.That(extractor.Extract("/x", NoHeaders, Body("""{"user":"u-9","conversationId":"c-7"}""")), Is.EqualTo("c-7"));
        Assert.That(extractor.Extract("/x", NoHeaders, Body("""{"conversationId":12345}""")), Is.EqualTo("12345"));
    }

    [Test]
    public void Extract_NestedJsonPath_SkipsOtherValues()
    {
        var extractor = new ConversationKeyExtractor(new ConversationKeyOptions { Routes = [], JsonPaths = ["$.session.id"] });

        var key = extractor.Extract("/x", NoHeaders, Body("""{"id":"no","session":{"list":[1,{"id":"no"}],"nested":{"id":"no"},"id":"s-3"}}"""));

        Assert.That(key, Is.EqualTo("s-3"));
    }

    [Test]
    public void Extract_AllStrategiesMatch_HeaderThenRouteThenBody()
    {
        var extractor = new ConversationKeyExtractor(new ConversationKeyOptions { Header = "x-session" });
        var body = Body("""{"conversationId":"from-body"}""");

        Assert.That(extractor.Extract("/v1/conversations/from-route/turns", Headers(("x-session", "from-header")), body), Is.EqualTo("from-header"));
        Assert.That(extractor.Extract("/v1/conversations/from-route/turns", Headers(("x-session", " ")), body), Is.EqualTo("from-route"));
        Assert.That(extractor.Extract("/v1/other", NoHeaders, body), Is.EqualTo("from-body"));
    }

    [TestCase("not json at all")]
    [TestCase("""{"conversationId":"c-""")]
    [TestCase("""{"other":[1,2,{"a":""")]
    [TestCase("""["c-1"]""")]
    [TestCase("""{"conversationId":{"id":"c-1"}}""")]
    [TestCase("""{"conversationId":""}""")]
    [TestCase("\u00ff\u00fe")]
    public void Extract_BodyWithoutUsableKey_ReturnsNull(string body)
    {
        var extractor = new ConversationKeyExtractor(new ConversationKeyOptions { Routes = [], JsonPaths = ["$.conversationId"] });

        Assert.That(extractor.Extract("/x", NoHeaders, Body(body)), Is.Null);
    }

    [Test]
    public void Extract_TruncatedBodyAfterKey_ReturnsKey()
    {
        var extractor = new ConversationKeyExtractor(new ConversationKeyOptions { Routes = [] });

        var key = extractor.Extract("/x", NoHeaders, Body("""{"conversationId":"c-1","message":"long text cut he"""));

        Assert.That(key, Is.EqualTo("c-1"));
    }

    [TestCase("conversationId")]
    [TestCase("$.")]
    [TestCase("$.a..b")]
    public void Constructor_InvalidJsonPath_ThrowsNamingPath(string path)
    {
        var ex = Assert.Throws<ArgumentException>(() => new ConversationKeyExtractor(new ConversationKeyOptions { JsonPaths = [path] }));

        Assert.That(ex!.Message, Does.Contain($"'{path}'"));
    }

    [TestCase("/v1/conversations/c-1/turns", true)]
    [TestCase("/v1/conversations/c-1/turns/", true)]
    [TestCase("/v1/chat/completions", true)]
    [TestCase("/v1/memory", false)]
    [TestCase("/v1/conversations/c-1/TURNS", false)]
    public void IsTurnRoute_Path_MatchesTemplates(string path, bool expected)
    {
        Assert.That(ConversationKeyExtractor.IsTurnRoute(path, ["/v1/conversations/{id}/turns", "/v1/chat/completions"]), Is.EqualTo(expected));
    }

    [Test]
    public void Extract_JsonBody_AllocatesOnlyTheKey()
    {
        var extractor = new ConversationKeyExtractor(new ConversationKeyOptions());
        var body = Body("""{"userId":"u-1","message":"hi","conversationId":"c-1"}""");
        string? key = null;

        var allocated = Allocations.SteadyState(() => key = extractor.Extract("/v1/other", NoHeaders, body), expectedAtMost: 64);

        Assert.That(key, Is.EqualTo("c-1"));
        Assert.That(allocated, Is.LessThanOrEqualTo(64));
    }
}
