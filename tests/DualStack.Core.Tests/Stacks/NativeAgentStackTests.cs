using System.Text.Json.Nodes;
using DualStack.Core.Model;
using DualStack.Core.Stacks;
using DualStack.Core.Tests.Support;
using DualStack.TestUtils;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace DualStack.Core.Tests.Stacks;

public sealed class NativeAgentStackTests : WireMockTest
{
    private const string TurnsPath = "/v1/conversations/c-1/turns";


    private static TurnRequest Turn(string message = "Where is order 4411?") => new()
    {
        ConversationId = "c-1",
        UserId = "u-1",
        Message = message,
        Channel = "web",
        TurnIndex = 0,
        Metadata = new Dictionary<string, string> { ["locale"] = "en-GB" },
    };

    private IAgentStack CreateStack() => StackFactory.Create("new", new StackConfig { Url = Server.Url, Adapter = AdapterKind.Native });

    private void StubTurn(int status, string body, string contentType = "application/json") =>
        Server.Given(Request.Create().WithPath(TurnsPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", contentType).WithBody(body));

    [Test]
    public async Task SendTurnAsync_ContractAnswer_MapsReplySkillsAndMemory()
    {
        StubTurn(200, """
            {
              "conversationId": "c-1", "turnIndex": 0, "reply": "Order 4411 has shipped.",
              "skillCalls": [ { "name": "lookup_order", "arguments": { "orderId": "4411" }, "status": "ok", "result": { "state": "shipped" } } ],
              "memory": { "retrieved": [ { "id": "m-17", "text": "prefers email", "score": 0.82 } ],
                          "written": [ { "id": "m-18", "text": "asked about order 4411" } ] }
            }
            """);
        using var stack = CreateStack();

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error, Is.Null);
        Assert.That(observation.HttpStatus, Is.EqualTo(200));
        Assert.That(observation.Stack, Is.EqualTo("new"));
        Assert.That(observation.ConversationId, Is.EqualTo("c-1"));
        Assert.That(observation.Reply, Is.EqualTo("Order 4411 has shipped."));
        Assert.That(observation.SkillCalls, Has.Count.EqualTo(1));
        var call = observation.SkillCalls![0];
        Assert.That(call.Name, Is.EqualTo("lookup_order"));
        Assert.That(call.Arguments!.Value.GetProperty("orderId").GetString(), Is.EqualTo("4411"));
        Assert.That(call.Status, Is.EqualTo("ok"));
        Assert.That(call.Result!.Value.GetProperty("state").GetString(), Is.EqualTo("shipped"));
        Assert.That(observation.Memory!.Retrieved!.Single().Text, Is.EqualTo("prefers email"));
        Assert.That(observation.Memory.Retrieved!.Single().Score, Is.EqualTo(0.82));
        Assert.That(observation.Memory.Written!.Single().Text, Is.EqualTo("asked about order 4411"));
        Assert.That(observation.RawResponse, Does.Contain("4411"));
    }

    [Test]
    public async Task SendTurnAsync_AnswerWithFieldsOutsideTheContract_RawResponseIsTheBodyAsSent()
    {
        // What the report shows as the stack's answer is what it sent: fields the contract does not know, and its
        // own layout, not the harness's re-serialisation of the fields it read.
        const string body = """{ "reply": "Hi.", "skillCalls": [], "debug": { "model": "v2-mini", "tokens": 12 } }""";
        StubTurn(200, body);
        using var stack = CreateStack();

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error, Is.Null);
        Assert.That(observation.Reply, Is.EqualTo("Hi."));
        Assert.That(observation.RawResponse, Is.EqualTo(body));
    }

    [Test]
    public async Task SendTurnAsync_Request_CarriesUserIdMessageChannelAndMetadata()
    {
        StubTurn(200, """{ "reply": "ok" }""");
        using var stack = CreateStack();

        await stack.SendTurnAsync(Turn("Where is order 4411?"), CancellationToken.None);

        var entry = Server.LogEntries.Single();
        Assert.That(entry.RequestMessage!.Path, Is.EqualTo(TurnsPath));
        Assert.That(entry.RequestMessage.Method, Is.EqualTo("POST"));
        var body = JsonNode.Parse(entry.RequestMessage.Body!)!;
        Assert.That(body["userId"]!.GetValue<string>(), Is.EqualTo("u-1"));
        Assert.That(body["message"]!.GetValue<string>(), Is.EqualTo("Where is order 4411?"));
        Assert.That(body["channel"]!.GetValue<string>(), Is.EqualTo("web"));
        Assert.That(body["metadata"]!["locale"]!.GetValue<string>(), Is.EqualTo("en-GB"));
    }

    [Test]
    public async Task SendTurnAsync_Request_SentWithItsLengthNotChunkedAndTheIdEscapedInThePath()
    {
        // An agent behind a server that refuses chunked uploads (411 Length Required) must still get every turn; an
        // id with a space, a slash or a non-ASCII letter must stay one path segment.
        Server.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{ "reply": "ok" }"""));
        using var stack = CreateStack();

        var observation = await stack.SendTurnAsync(Turn() with { ConversationId = "c 1/ü" }, CancellationToken.None);

        var request = Server.LogEntries.Single().RequestMessage!;
        Assert.That(observation.Error, Is.Null);
        // The server decodes every escape but the slash's: the id stayed one segment.
        Assert.That(request.Url, Does.EndWith("/v1/conversations/c 1%2Fü/turns"));
        Assert.That(request.Headers!.Keys, Does.Not.Contain("Transfer-Encoding"));
        Assert.That(request.Headers["Content-Length"].Single(), Is.EqualTo(System.Text.Encoding.UTF8.GetByteCount(request.Body!).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(request.Headers["Content-Type"].Single(), Does.StartWith("application/json"));
    }

    [Test]
    public async Task SendTurnAsync_AnswerWithoutSkillCallsOrMemory_ReportsThemNotObserved()
    {
        StubTurn(200, """{ "conversationId": "c-1", "turnIndex": 0, "reply": "Hello!" }""");
        using var stack = CreateStack();

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error, Is.Null);
        Assert.That(observation.Reply, Is.EqualTo("Hello!"));
        Assert.That(observation.SkillCalls, Is.Null);
        Assert.That(observation.Memory, Is.Null);
    }

    [Test]
    public async Task SendTurnAsync_Status500ProblemJson_ReturnsHttpStatusErrorWithDetail()
    {
        StubTurn(500, """{ "type": "about:blank", "title": "Internal Server Error", "status": 500, "detail": "refund service exploded" }""", "application/problem+json");
        using var stack = CreateStack();

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error, Is.Not.Null);
        Assert.That(observation.Error!.Kind, Is.EqualTo(ObservationErrorKind.HttpStatus));
        Assert.That(observation.Error.Message, Does.Contain("500").And.Contain("refund service exploded"));
        Assert.That(observation.HttpStatus, Is.EqualTo(500));
        Assert.That(observation.Reply, Is.Null);
    }

    [Test]
    public async Task SendTurnAsync_Status200WithHtmlBody_ReturnsInvalidResponse()
    {
        StubTurn(200, "<html>oops</html>", "text/html");
        using var stack = CreateStack();

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error?.Kind, Is.EqualTo(ObservationErrorKind.InvalidResponse));
        Assert.That(observation.Error!.Message, Does.Contain("<html>oops"));
        Assert.That(observation.HttpStatus, Is.EqualTo(200));
    }

    [Test]
    public async Task SendTurnAsync_JsonWithoutReply_ReturnsInvalidResponseNamingReply()
    {
        StubTurn(200, """{ "conversationId": "c-1", "turnIndex": 0, "answer": "hi" }""");
        using var stack = CreateStack();

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error?.Kind, Is.EqualTo(ObservationErrorKind.InvalidResponse));
        Assert.That(observation.Error!.Message, Does.Contain("'reply'"));
    }

    [Test]
    public async Task SendTurnAsync_ConnectionRefused_ReturnsConnectionError()
    {
        using var closed = new ClosedPort();
        using var stack = StackFactory.Create("new", new StackConfig { Url = closed.Url.AbsoluteUri, Adapter = AdapterKind.Native });

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error?.Kind, Is.EqualTo(ObservationErrorKind.Connection));
        Assert.That(observation.HttpStatus, Is.Null);
    }

    [Test]
    public async Task SendTurnAsync_AnswerSlowerThanTurnTimeout_ReturnsTimeout()
    {
        Server.Given(Request.Create().WithPath(TurnsPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{ "reply": "late" }""").WithDelay(TimeSpan.FromSeconds(2)));
        var uri = new Uri(Server.Url!);
        using var stack = new NativeAgentStack("new", StackFactory.CreateHttpClient(uri, new Dictionary<string, string>()), TimeProvider.System, TimeSpan.FromMilliseconds(300));

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error?.Kind, Is.EqualTo(ObservationErrorKind.Timeout));
        Assert.That(observation.Error!.Message, Does.Contain("0.3 s"));
        Assert.That(observation.Reply, Is.Null);
    }

    [Test]
    public async Task SendTurnAsync_CallerCancels_ReturnsCancelledWithoutThrowing()
    {
        Server.Given(Request.Create().WithPath(TurnsPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{ "reply": "late" }""").WithDelay(TimeSpan.FromSeconds(2)));
        using var stack = CreateStack();
        using var cts = new CancellationTokenSource();
        cts.CancelAfter(TimeSpan.FromMilliseconds(200));

        var observation = await stack.SendTurnAsync(Turn(), cts.Token);

        Assert.That(observation.Error?.Kind, Is.EqualTo(ObservationErrorKind.Cancelled));
    }

    [Test]
    public async Task CheckHealthAsync_StackAnswersOk_IsHealthyWithVersion()
    {
        Server.Given(Request.Create().WithPath("/v1/health").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{ "status": "ok", "version": "2.1.0" }"""));
        using var stack = CreateStack();

        var health = await stack.CheckHealthAsync(CancellationToken.None);

        Assert.That(health.Healthy, Is.True);
        Assert.That(health.Status, Is.EqualTo("ok"));
        Assert.That(health.Version, Is.EqualTo("2.1.0"));
    }

    [Test]
    public async Task CheckHealthAsync_StackReportsDegraded_IsUnhealthy()
    {
        Server.Given(Request.Create().WithPath("/v1/health").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{ "status": "degraded" }"""));
        using var stack = CreateStack();

        var health = await stack.CheckHealthAsync(CancellationToken.None);

        Assert.That(health.Healthy, Is.False);
        Assert.That(health.Status, Is.EqualTo("degraded"));
    }

    [Test]
    public async Task CheckHealthAsync_Status503_IsUnhealthyNamingStatus()
    {
        Server.Given(Request.Create().WithPath("/v1/health").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(503).WithBody("maintenance"));
        using var stack = CreateStack();

        var health = await stack.CheckHealthAsync(CancellationToken.None);

        Assert.That(health.Healthy, Is.False);
        Assert.That(health.Status, Does.Contain("503"));
    }

    [Test]
    public async Task CheckHealthAsync_StackDown_IsUnhealthyWithoutThrowing()
    {
        using var closed = new ClosedPort();
        using var stack = StackFactory.Create("new", new StackConfig { Url = closed.Url.AbsoluteUri, Adapter = AdapterKind.Native });

        var health = await stack.CheckHealthAsync(CancellationToken.None);

        Assert.That(health.Healthy, Is.False);
        Assert.That(health.Status, Is.Not.Empty);
        Assert.That(health.Version, Is.Null);
    }

    [Test]
    public void Create_UrlNotHttp_ThrowsNamingTheUrl()
    {
        var ex = Assert.Throws<ArgumentException>(() => StackFactory.Create("new", new StackConfig { Url = "ftp://127.0.0.1/x" }));

        Assert.That(ex!.Message, Does.Contain("ftp://127.0.0.1/x").And.Contain("'new'"));
    }
}
