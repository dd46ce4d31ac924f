using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace DualStack.SampleAgent;

/// <summary>The outcome of a turn: a response, or the name of the fault that was injected instead.</summary>
internal sealed record TurnOutcome(TurnResponse? Response, string? InjectedFault);

/// <summary>Handles turns: recognizes the intent, retrieves memory, calls skills, writes memory and words the reply.</summary>
internal sealed class AgentEngine(
    FaultState faultState,
    MemoryStore memory,
    IIntegrationGateway gateway,
    ReplyWriter replies,
    AgentRandom random,
    TimeProvider time,
    ILogger<AgentEngine> logger)
{
    private const int RetrievalK = 3;
    private const int MaxProductsInReply = 3;

    private readonly ConcurrentDictionary<string, int> _turns = new(StringComparer.Ordinal);

    public async Task<TurnOutcome> HandleAsync(string conversationId, string userId, string message, CancellationToken cancellationToken)
    {
        var faults = faultState.Current;
        if (faults.LatencyMs > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(faults.LatencyMs), time, cancellationToken).ConfigureAwait(false);
        }

        if (faults.ErrorPercent > 0 && random.NextPercent() < faults.ErrorPercent)
        {
            var fault = faults.Names.First(n => n.StartsWith(FaultSet.Errors, StringComparison.Ordinal));
            Log.FaultInjected(logger, conversationId, fault);
            return new TurnOutcome(null, fault);
        }

        // AddOrUpdate returns the value it stored atomically, so concurrent turns get distinct indexes.
        var turnIndex = _turns.AddOrUpdate(conversationId, 0, static (_, n) => n + 1);
        var intent = IntentRecognizer.Recognize(message);
        IReadOnlyList<MemoryHit> retrieved = faults.SkipsMemory ? []
            : intent is { Kind: IntentKind.Recall, RecallAll: true } ? memory.Recent(userId, RetrievalK)
            : memory.Search(userId, message, RetrievalK);

        var skills = new SkillRunner(gateway, conversationId, userId, faults);
        var writes = new List<string>();
        var reply = intent.Kind switch
        {
            IntentKind.OrderStatus => await OrderStatusAsync(intent, skills, faults, writes, cancellationToken).ConfigureAwait(false),
            IntentKind.Refund => await RefundAsync(intent, skills, faults, cancellationToken).ConfigureAwait(false),
            IntentKind.AddressChange => await AddressChangeAsync(intent, skills, faults, writes, cancellationToken).ConfigureAwait(false),
            IntentKind.ProductQuestion => await ProductAsync(intent, skills, faults, cancellationToken).ConfigureAwait(false),
            IntentKind.Remember => Remember(intent, writes),
            IntentKind.Recall => retrieved.Count == 0
                ? replies.Write("recall.none")
                : replies.Write("recall.found", ("facts", string.Join("; ", retrieved.Select(h => h.Entry.Text)))),
            IntentKind.Greeting => replies.Write("greeting"),
            IntentKind.Thanks => replies.Write("thanks"),
            IntentKind.Goodbye => replies.Write("goodbye"),
            _ => replies.Write("fallback"),
        };

        var written = new List<WrittenMemoryDto>(writes.Count);
        if (!faults.ForgetsWrites)
        {
            foreach (var text in writes)
            {
                var entry = memory.Add(userId, text, conversationId, time.GetUtcNow());
                written.Add(new WrittenMemoryDto(entry.Id, entry.Text));
            }
        }

        var response = new TurnResponse(
            conversationId,
            turnIndex,
            reply,
            skills.Calls,
            new TurnMemoryDto(retrieved.Select(h => new RetrievedMemoryDto(h.Entry.Id, h.Entry.Text, h.Score)).ToArray(), written));
        return new TurnOutcome(response, null);
    }

    // The reply-only knobs (ReplyFaults) are applied to the facts handed to the reply writer, after every skill call
    // and memory write has used the real values.
    private async Task<string> OrderStatusAsync(Intent intent, SkillRunner skills, FaultSet faults, List<string> writes, CancellationToken cancellationToken)
    {
        if (intent.OrderId is not { } orderId)
        {
            return replies.Write("order.missingId");
        }

        writes.Add($"asked about order {orderId}");
        var order = await skills.LookupOrderAsync(orderId, cancellationToken).ConfigureAwait(false);
        if (!order.IsSuccess)
        {
            return replies.Write(order.StatusCode == 404 ? "order.notFound" : "order.failed", ("orderId", ReplyFaults.Id(faults, orderId)));
        }

        var status = ReadString(order.Body?["status"]) ?? "unknown";
        var eta = ReadString(order.Body?["eta"]) ?? "an unknown date";
        var key = status.ToLowerInvariant() switch
        {
            "shipped" => "order.shipped",
            "delivered" => "order.delivered",
            _ => "order.other",
        };
        return replies.Write(key, ("orderId", ReplyFaults.Id(faults, orderId)), ("status", status), ("eta", ReplyFaults.Date(faults, eta)));
    }

    private async Task<string> RefundAsync(Intent intent, SkillRunner skills, FaultSet faults, CancellationToken cancellationToken)
    {
        if (intent.OrderId is not { } orderId)
        {
            return replies.Write("refund.missingId");
        }

        var order = await skills.LookupOrderAsync(orderId, cancellationToken).ConfigureAwait(false);
        if (!order.IsSuccess)
        {
            return replies.Write(order.StatusCode == 404 ? "refund.notFound" : "refund.failed", ("orderId", ReplyFaults.Id(faults, orderId)));
        }

        var amount = intent.Amount ?? ReadDecimal(order.Body?["total"]);
        var currency = intent.Currency ?? ReadString(order.Body?["currency"]) ?? "USD";
        if (amount is not { } intended)
        {
            return replies.Write("refund.failed", ("orderId", ReplyFaults.Id(faults, orderId)));
        }

        // wrong-skill-args: the skill gets a wrong amount while the reply keeps the intended one.
        var sent = faults.WrongArgs ? Money.Inflate(intended) : intended;
        var refund = await skills.IssueRefundAsync(orderId, sent, currency, intent.Reason ?? "customer request", cancellationToken).ConfigureAwait(false);
        if (!refund.IsSuccess)
        {
            return replies.Write("refund.failed", ("orderId", ReplyFaults.Id(faults, orderId)));
        }

        await skills.SendEmailAsync("refund_confirmation", orderId, cancellationToken).ConfigureAwait(false);
        return replies.Write(
            ReplyFaults.Outcome(faults, "refund.done"),
            ("amount", Money.Format(intended)),
            ("currency", ReplyFaults.Currency(faults, currency)),
            ("orderId", ReplyFaults.Id(faults, orderId)));
    }

    private async Task<string> AddressChangeAsync(Intent intent, SkillRunner skills, FaultSet faults, List<string> writes, CancellationToken cancellationToken)
    {
        if (intent.Address is not { } address)
        {
            return replies.Write("address.missing");
        }

        var sent = faults.WrongArgs ? Money.DropPostcode(address) : address;
        var update = await skills.UpdateAddressAsync(sent, cancellationToken).ConfigureAwait(false);
        if (!update.IsSuccess)
        {
            return replies.Write("address.failed");
        }

        await skills.SendEmailAsync("address_changed", null, cancellationToken).ConfigureAwait(false);
        writes.Add($"address: {address}");
        return replies.Write(ReplyFaults.Outcome(faults, "address.done"), ("address", address));
    }

    private async Task<string> ProductAsync(Intent intent, SkillRunner skills, FaultSet faults, CancellationToken cancellationToken)
    {
        var query = intent.Query ?? string.Empty;
        var search = await skills.SearchCatalogAsync(query, cancellationToken).ConfigureAwait(false);
        if (!search.IsSuccess)
        {
            return replies.Write("product.failed");
        }

        var products = (search.Body?["products"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Take(MaxProductsInReply)
            .Select(product => DescribeProduct(product, faults))
            .ToArray();
        return products.Length == 0
            ? replies.Write("product.none", ("query", query))
            : replies.Write("product.found", ("products", JoinList(products)));
    }

    private string Remember(Intent intent, List<string> writes)
    {
        var fact = intent.Fact ?? string.Empty;
        writes.Add(fact);
        return replies.Write("memory.stored", ("fact", fact));
    }

    private static string DescribeProduct(JsonObject product, FaultSet faults)
    {
        var name = ReadString(product["name"]) ?? "unnamed product";
        var details = new List<string>(2);
        if (ReadDecimal(product["price"]) is { } price)
        {
            details.Add($"{Money.Format(price)} {ReplyFaults.Currency(faults, ReadString(product["currency"]) ?? "USD")}");
        }

        if (product["inStock"] is JsonValue stock && stock.TryGetValue<bool>(out var inStock))
        {
            details.Add(inStock ? "in stock" : "out of stock");
        }

        return details.Count == 0 ? name : $"{name} ({string.Join(", ", details)})";
    }

    private static string JoinList(IReadOnlyList<string> items) =>
        items.Count == 1 ? items[0] : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1];

    private static string? ReadString(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => node.ToJsonString(),
    };

    private static decimal? ReadDecimal(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<decimal>(out var number))
        {
            return Money.Normalize(number);
        }

        return value.TryGetValue<string>(out var text)
            && decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out number)
            ? Money.Normalize(number)
            : null;
    }
}
