using System.Text.Json.Nodes;

namespace DualStack.SampleAgent;

/// <summary>
/// Runs one turn's skill calls against the integrations and records them. With <c>extra-skill</c> the first skill
/// call of the turn is preceded by <c>lookup_customer</c>.
/// </summary>
internal sealed class SkillRunner(IIntegrationGateway gateway, string conversationId, string userId, FaultSet faults)
{
    private readonly List<SkillCallDto> _calls = [];

    public IReadOnlyList<SkillCallDto> Calls => _calls;

    public ValueTask<IntegrationResponse> LookupOrderAsync(string orderId, CancellationToken cancellationToken) =>
        CallAsync("lookup_order", new JsonObject { ["orderId"] = orderId }, HttpMethod.Get, $"orders/{Escape(orderId)}", null, cancellationToken);

    public ValueTask<IntegrationResponse> IssueRefundAsync(string orderId, decimal amount, string currency, string reason, CancellationToken cancellationToken)
    {
        var arguments = new JsonObject { ["orderId"] = orderId, ["amount"] = amount, ["currency"] = currency, ["reason"] = reason };
        return CallAsync("issue_refund", arguments, HttpMethod.Post, "refunds", (JsonObject)arguments.DeepClone(), cancellationToken);
    }

    public ValueTask<IntegrationResponse> UpdateAddressAsync(string address, CancellationToken cancellationToken) =>
        CallAsync(
            "update_address",
            new JsonObject { ["userId"] = userId, ["address"] = address },
            HttpMethod.Put,
            $"crm/customers/{Escape(userId)}/address",
            new JsonObject { ["address"] = address },
            cancellationToken);

    public async ValueTask SendEmailAsync(string template, string? orderId, CancellationToken cancellationToken)
    {
        if (faults.DropsSkill)
        {
            return;
        }

        var arguments = new JsonObject { ["to"] = userId, ["template"] = template };
        if (orderId is not null)
        {
            arguments["orderId"] = orderId;
        }

        await CallAsync("send_email", arguments, HttpMethod.Post, "email/send", (JsonObject)arguments.DeepClone(), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<IntegrationResponse> SearchCatalogAsync(string query, CancellationToken cancellationToken) =>
        CallAsync("search_catalog", new JsonObject { ["query"] = query }, HttpMethod.Get, $"catalog/products?q={Escape(query)}", null, cancellationToken);

    private async ValueTask<IntegrationResponse> CallAsync(
        string name, JsonObject arguments, HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        if (faults.AddsSkill && _calls.Count == 0)
        {
            await InvokeAsync(
                "lookup_customer",
                new JsonObject { ["userId"] = userId },
                new IntegrationRequest(HttpMethod.Get, $"crm/customers/{Escape(userId)}", null, conversationId),
                cancellationToken).ConfigureAwait(false);
        }

        return await InvokeAsync(name, arguments, new IntegrationRequest(method, path, body, conversationId), cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<IntegrationResponse> InvokeAsync(string name, JsonObject arguments, IntegrationRequest request, CancellationToken cancellationToken)
    {
        var response = await gateway.SendAsync(request, cancellationToken).ConfigureAwait(false);
        // The recorded result is a copy so callers can read the response without touching the reported JSON.
        var result = response.Body?.DeepClone();
        _calls.Add(response.IsSuccess
            ? new SkillCallDto(name, arguments, "ok", result)
            : new SkillCallDto(name, arguments, "error", result)
            {
                HttpStatus = response.StatusCode == 0 ? null : response.StatusCode,
                Error = response.Error ?? $"HTTP {response.StatusCode}",
            });
        return response;
    }

    private static string Escape(string value) => Uri.EscapeDataString(value);
}
