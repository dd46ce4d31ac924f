using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using DualStack.Core.Model;
using WireMock.Logging;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace DualStack.Sandbox;

/// <summary>
/// A WireMock.Net server standing in for a stack's external integrations (orders, refunds, CRM, e-mail, catalog):
/// answers from fixtures, records every call, and exposes the calls as <see cref="SkillCall"/>s so skill calls are
/// observed at the boundary even when an agent does not report them — and nothing real is ever charged.
/// </summary>
public sealed class IntegrationSandbox : IDisposable
{
    /// <summary>Header the agent sends to attribute an integration call to a conversation.</summary>
    public const string ConversationHeader = "X-Conversation-Id";

    private readonly WireMockServer _server;

    private IntegrationSandbox(WireMockServer server)
    {
        _server = server;
        BaseAddress = new Uri(server.Url!.TrimEnd('/') + "/");
    }

    /// <summary>Base URL to give the agent as its integrations URL.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Starts a sandbox on 127.0.0.1 (a port the system assigns when it binds) answering from <paramref name="fixtures"/>.</summary>
    public static IntegrationSandbox Start(SandboxFixtures fixtures)
    {
        var server = WireMockServer.Start(new WireMockServerSettings
        {
            Urls = ["http://127.0.0.1:0"],
            StartAdminInterface = false,
            MaxRequestLogCount = 100_000,
        });
        Configure(server, fixtures);
        return new IntegrationSandbox(server);
    }

    /// <summary>Every call recorded so far, oldest first.</summary>
    public IReadOnlyList<SandboxCall> Calls => _server.LogEntries.OrderBy(e => e.RequestMessage!.DateTime).Select(ToCall).ToArray();

    /// <summary>The calls made for one conversation, as skill calls in order.</summary>
    public IReadOnlyList<SkillCall> SkillCallsFor(string conversationId) =>
        Calls.Where(c => c.ConversationId == conversationId).Select(c => c.ToSkillCall()).ToArray();

    /// <summary>Forgets recorded calls.</summary>
    public void ResetCalls() => _server.ResetLogEntries();

    /// <inheritdoc />
    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }

    private static void Configure(WireMockServer server, SandboxFixtures fixtures)
    {
        var orders = fixtures.Orders.ToDictionary(o => o.OrderId, StringComparer.Ordinal);
        foreach (var missing in fixtures.MissingOrders)
        {
            server.Given(Request.Create().WithPath($"/orders/{missing}").UsingGet()).AtPriority(1)
                .RespondWith(Json(404, _ => new JsonObject { ["title"] = "order not found", ["orderId"] = missing }.ToJsonString()));
        }

        server.Given(Request.Create().WithPath(new WildcardMatcher("/orders/*")).UsingGet()).AtPriority(5)
            .RespondWith(Json(200, request =>
            {
                var id = request.Path.Split('/').Last();
                return JsonSerializer.Serialize(orders.TryGetValue(id, out var order) ? order : SandboxFixtures.Synthesize(id, fixtures), DualStackJson.Options);
            }));

        server.Given(Request.Create().WithPath("/refunds").UsingPost())
            .RespondWith(Json(200, request =>
            {
                var body = request.Body ?? string.Empty;
                return new JsonObject { ["refundId"] = "RFD-" + StableHash(body).ToString("X8", CultureInfo.InvariantCulture), ["status"] = "approved" }.ToJsonString();
            }));

        server.Given(Request.Create().WithPath(new WildcardMatcher("/crm/customers/*/address")).UsingPut())
            .RespondWith(Json(200, _ => new JsonObject { ["updated"] = true }.ToJsonString()));

        server.Given(Request.Create().WithPath(new WildcardMatcher("/crm/customers/*")).UsingGet())
            .RespondWith(Json(200, request => new JsonObject { ["userId"] = request.Path.Split('/').Last(), ["tier"] = fixtures.CustomerTier }.ToJsonString()));

        server.Given(Request.Create().WithPath("/email/send").UsingPost())
            .RespondWith(Json(202, request => new JsonObject { ["messageId"] = "MSG-" + StableHash(request.Body ?? string.Empty).ToString("X8", CultureInfo.InvariantCulture) }.ToJsonString()));

        server.Given(Request.Create().WithPath("/catalog/products").UsingGet())
            .RespondWith(Json(200, request =>
            {
                var query = request.Query is { } q && q.TryGetValue("q", out var values) ? string.Join(' ', values) : string.Empty;
                var words = query.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var hits = fixtures.Catalog.Where(p => words.Any(w => w.Length > 2 && p.Name.Contains(w, StringComparison.OrdinalIgnoreCase)));
                return JsonSerializer.Serialize(new { products = hits }, DualStackJson.Options);
            }));
    }

    private static IResponseBuilder Json(int status, Func<WireMock.IRequestMessage, string> body) =>
        Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body);

    internal static uint StableHash(string text)
    {
        // FNV-1a: stable across processes, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }

    private static SandboxCall ToCall(ILogEntry entry)
    {
        var request = entry.RequestMessage!;
        var conversation = request.Headers is { } headers && headers.TryGetValue(ConversationHeader, out var values) ? values.FirstOrDefault() : null;
        return new SandboxCall(request.Method, request.Path, request.Body, entry.ResponseMessage?.StatusCode is { } s ? Convert.ToInt32(s, CultureInfo.InvariantCulture) : 0, request.DateTime, conversation);
    }
}

/// <summary>One call a stack made to its integrations.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Request path.</param>
/// <param name="Body">Request body, if any.</param>
/// <param name="Status">Status the sandbox answered.</param>
/// <param name="At">When.</param>
/// <param name="ConversationId">Conversation the agent attributed the call to, if it sent the header.</param>
public sealed record SandboxCall(string Method, string Path, string? Body, int Status, DateTime At, string? ConversationId)
{
    /// <summary>The skill this call stands for, by route (e.g. <c>GET /orders/4411</c> → <c>lookup_order</c>).</summary>
    public SkillCall ToSkillCall()
    {
        var segments = Path.Trim('/').Split('/');
        var (name, arguments) = (Method.ToUpperInvariant(), segments) switch
        {
            ("GET", ["orders", var id]) => ("lookup_order", new JsonObject { ["orderId"] = id }),
            ("POST", ["refunds"]) => ("issue_refund", ParseBody()),
            ("PUT", ["crm", "customers", var user, "address"]) => ("update_address", WithField(ParseBody(), "userId", user)),
            ("GET", ["crm", "customers", var user]) => ("lookup_customer", new JsonObject { ["userId"] = user }),
            ("POST", ["email", "send"]) => ("send_email", ParseBody()),
            ("GET", ["catalog", "products"]) => ("search_catalog", new JsonObject()),
            _ => ($"{Method.ToUpperInvariant()} {Path}", ParseBody()),
        };
        return new SkillCall
        {
            Name = name,
            Arguments = JsonSerializer.SerializeToElement(arguments),
            Status = Status is >= 200 and < 300 ? "ok" : "error",
        };
    }

    private JsonObject ParseBody()
    {
        try
        {
            return Body is { Length: > 0 } && JsonNode.Parse(Body) is JsonObject o ? o : new JsonObject();
        }
        catch (JsonException)
        {
            return new JsonObject { ["raw"] = Body };
        }
    }

    private static JsonObject WithField(JsonObject o, string name, string value)
    {
        o[name] = value;
        return o;
    }
}
