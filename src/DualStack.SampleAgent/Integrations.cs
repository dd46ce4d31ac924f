using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DualStack.SampleAgent;

/// <summary>A call to an external integration; <see cref="Path"/> is relative to the base URL.</summary>
internal sealed record IntegrationRequest(HttpMethod Method, string Path, JsonObject? Body, string ConversationId);

/// <summary>The integration's answer; <see cref="StatusCode"/> is 0 when no HTTP answer came (timeout, refused).</summary>
internal sealed record IntegrationResponse(int StatusCode, JsonNode? Body, string? Error)
{
    public bool IsSuccess => StatusCode is >= 200 and < 300;
}

/// <summary>Where skills send their integration calls: over HTTP or to the built-in fixture.</summary>
internal interface IIntegrationGateway
{
    ValueTask<IntegrationResponse> SendAsync(IntegrationRequest request, CancellationToken cancellationToken);
}

/// <summary>Calls the configured integrations base URL; every request carries <c>X-Conversation-Id</c>.</summary>
internal sealed class HttpIntegrationGateway(IHttpClientFactory clientFactory) : IIntegrationGateway
{
    internal const string ClientName = "integrations";
    internal const string ConversationHeader = "X-Conversation-Id";

    public async ValueTask<IntegrationResponse> SendAsync(IntegrationRequest request, CancellationToken cancellationToken)
    {
        var client = clientFactory.CreateClient(ClientName);
        using var message = new HttpRequestMessage(request.Method, request.Path);
        message.Headers.TryAddWithoutValidation(ConversationHeader, request.ConversationId);
        if (request.Body is not null)
        {
            message.Content = JsonContent.Create(request.Body, options: AgentJson.Options);
        }

        try
        {
            using var response = await client.SendAsync(message, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var body = TryParse(text);
            var status = (int)response.StatusCode;
            var error = response.IsSuccessStatusCode ? null : $"HTTP {status} from {request.Method} {request.Path}";
            return new IntegrationResponse(status, body, error);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new IntegrationResponse(0, null, $"timeout calling {request.Method} {request.Path}");
        }
        catch (HttpRequestException ex)
        {
            return new IntegrationResponse(0, null, $"{request.Method} {request.Path} failed: {ex.Message}");
        }
    }

    private static JsonNode? TryParse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            // Not JSON (an HTML error page, say): keep it visible as a string.
            return JsonValue.Create(text);
        }
    }
}

/// <summary>In-process stand-in for the integrations, answering the same routes with the same shapes.</summary>
internal sealed class FixtureIntegrationGateway : IIntegrationGateway
{
    public ValueTask<IntegrationResponse> SendAsync(IntegrationRequest request, CancellationToken cancellationToken)
    {
        var path = request.Path;
        var query = string.Empty;
        var q = path.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = path[(q + 1)..];
            path = path[..q];
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var method = request.Method.Method;
        var response = (method, segments) switch
        {
            ("GET", ["orders", var orderId]) => Fixture.Order(orderId) is { } order ? Ok(order) : NotFound($"order {orderId} not found"),
            ("POST", ["refunds"]) => Ok(Fixture.Refund(request.Body)),
            ("PUT", ["crm", "customers", _, "address"]) => Ok(new JsonObject { ["updated"] = true }),
            ("GET", ["crm", "customers", var userId]) => Ok(Fixture.Customer(userId)),
            ("POST", ["email", "send"]) => new IntegrationResponse((int)HttpStatusCode.Accepted, Fixture.Email(request.Body), null),
            ("GET", ["catalog", "products"]) => Ok(Fixture.SearchCatalog(QueryValue(query, "q") ?? string.Empty)),
            _ => NotFound($"no fixture route for {method} {request.Path}"),
        };
        return ValueTask.FromResult(response);
    }

    private static IntegrationResponse Ok(JsonNode body) => new((int)HttpStatusCode.OK, body, null);

    private static IntegrationResponse NotFound(string detail) =>
        new((int)HttpStatusCode.NotFound, new JsonObject { ["error"] = detail }, $"HTTP 404: {detail}");

    private static string? QueryValue(string query, string name)
    {
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? pair : pair[..eq];
            if (key == name)
            {
                return eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            }
        }

        return null;
    }
}
