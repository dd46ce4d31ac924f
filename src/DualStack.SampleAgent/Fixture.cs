using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace DualStack.SampleAgent;

/// <summary>Built-in integration data: known orders, pseudo-orders derived from any other id, and a small catalog.</summary>
internal static class Fixture
{
    private sealed record Product(string Sku, string Name, decimal Price, bool InStock);

    private static readonly Product[] s_catalog =
    [
        new("WH-100", "Wireless Headphones", 59.90m, true),
        new("WM-200", "Wireless Mouse", 24.99m, true),
        new("UC-300", "USB-C Charger", 19.99m, true),
        new("UC-310", "USB-C Cable", 9.99m, true),
        new("LS-400", "Laptop Stand", 34.50m, true),
        new("MK-500", "Mechanical Keyboard", 120.00m, false),
        new("WC-600", "HD Webcam", 49.00m, true),
        new("PC-700", "Phone Case", 14.99m, false),
    ];

    public static JsonObject? Order(string orderId)
    {
        if (orderId.Length < 4 || !orderId.All(char.IsAsciiDigit) || orderId.All(c => c == '0'))
        {
            // All-zero ids are the fixture's "no such order" (404) case.
            return null;
        }

        return orderId switch
        {
            "4411" => OrderJson(orderId, "shipped", "2026-12-03", "USD", s_catalog[0]),
            "4412" => OrderJson(orderId, "processing", "2026-12-10", "USD", s_catalog[4]),
            "5001" => OrderJson(orderId, "delivered", "2026-11-20", "USD", s_catalog[2]),
            "7788" => OrderJson(orderId, "delivered", "2026-11-25", "EUR", s_catalog[5]),
            _ => PseudoOrder(orderId),
        };
    }

    public static JsonObject Refund(JsonObject? body)
    {
        var orderId = body?["orderId"]?.ToString() ?? "unknown";
        return new JsonObject { ["refundId"] = "RF-" + orderId, ["status"] = "approved" };
    }

    public static JsonObject Customer(string userId)
    {
        string[] tiers = ["standard", "gold", "platinum"];
        return new JsonObject { ["userId"] = userId, ["tier"] = tiers[Hash(userId) % (uint)tiers.Length] };
    }

    public static JsonObject Email(JsonObject? body)
    {
        var key = $"{body?["to"]}|{body?["template"]}|{body?["orderId"]}";
        return new JsonObject { ["messageId"] = "MSG-" + Hash(key).ToString("X8", CultureInfo.InvariantCulture) };
    }

    public static JsonObject SearchCatalog(string query)
    {
        var words = Keywords.Of(query).Select(Keywords.Stem).ToHashSet(StringComparer.Ordinal);
        var scored = s_catalog
            .Select(p => (Product: p, Overlap: Keywords.Of(p.Name).Select(Keywords.Stem).Count(words.Contains)))
            .Where(x => x.Overlap > 0)
            .ToArray();
        var best = scored.Length == 0 ? 0 : scored.Max(x => x.Overlap);
        var products = new JsonArray();
        foreach (var (product, _) in scored.Where(x => x.Overlap == best))
        {
            products.Add(new JsonObject { ["name"] = product.Name, ["price"] = product.Price, ["inStock"] = product.InStock });
        }

        return new JsonObject { ["products"] = products };
    }

    private static JsonObject PseudoOrder(string orderId)
    {
        var h = Hash(orderId);
        string[] statuses = ["processing", "shipped", "delivered"];
        var product = s_catalog[h % (uint)s_catalog.Length];
        var eta = new DateOnly(2026, 12, 1).AddDays((int)(h % 28));
        var currency = h % 5 == 0 ? "EUR" : "USD";
        return OrderJson(orderId, statuses[(h >> 8) % (uint)statuses.Length], eta.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), currency, product);
    }

    private static JsonObject OrderJson(string orderId, string status, string eta, string currency, Product product) => new()
    {
        ["orderId"] = orderId,
        ["status"] = status,
        ["eta"] = eta,
        ["total"] = product.Price,
        ["currency"] = currency,
        ["items"] = new JsonArray(new JsonObject { ["sku"] = product.Sku, ["name"] = product.Name, ["price"] = product.Price }),
    };

    // Stable across processes (string.GetHashCode is randomized per process).
    private static uint Hash(string text) =>
        BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0);
}
