using System.Globalization;
using System.Text.Json;
using DualStack.Core.Model;

namespace DualStack.Sandbox;

/// <summary>Fixture data the sandbox answers from (<c>scenarios/sandbox/fixtures.json</c>).</summary>
public sealed record SandboxFixtures
{
    /// <summary>Known orders.</summary>
    public IReadOnlyList<OrderFixture> Orders { get; init; } = [];

    /// <summary>Order ids answered with 404.</summary>
    public IReadOnlyList<string> MissingOrders { get; init; } = [];

    /// <summary>Products for catalog searches.</summary>
    public IReadOnlyList<ProductFixture> Catalog { get; init; } = [];

    /// <summary>Tier reported for every customer; default <c>gold</c>.</summary>
    public string CustomerTier { get; init; } = "gold";

    /// <summary>Loads fixtures; throws <see cref="InvalidDataException"/> naming the file and the problem.</summary>
    public static SandboxFixtures Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<SandboxFixtures>(File.ReadAllText(path), DualStackJson.Options)
                ?? throw new InvalidDataException($"{path}: empty fixtures file");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: invalid fixtures JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Deterministic data for an order id with no fixture, so random synthetic ids still get answers.</summary>
    public static OrderFixture Synthesize(string orderId, SandboxFixtures fixtures)
    {
        var hash = IntegrationSandbox.StableHash(orderId);
        var product = fixtures.Catalog.Count > 0 ? fixtures.Catalog[(int)(hash % (uint)fixtures.Catalog.Count)] : new ProductFixture { Name = "gift card", Price = 25m };
        string[] statuses = ["processing", "shipped", "delivered"];
        var eta = new DateOnly(2026, 12, 1).AddDays((int)(hash % 14));
        return new OrderFixture
        {
            OrderId = orderId,
            Status = statuses[hash / 7 % 3],
            Eta = eta.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            Total = product.Price,
            Currency = "USD",
            Items = [new OrderItem { Sku = "SKU-" + (hash % 1000).ToString("D3", CultureInfo.InvariantCulture), Name = product.Name, Price = product.Price }],
        };
    }
}

#pragma warning disable CS1591 // fixture shapes mirror the integration API documented in README "Integration sandbox"
public sealed record OrderFixture
{
    public required string OrderId { get; init; }
    public string Status { get; init; } = "processing";
    public string Eta { get; init; } = "2026-12-01";
    public decimal Total { get; init; }
    public string Currency { get; init; } = "USD";
    public IReadOnlyList<OrderItem> Items { get; init; } = [];
}

public sealed record OrderItem
{
    public string Sku { get; init; } = string.Empty;
    public string Name { get; init; } = string.Empty;
    public decimal Price { get; init; }
}

public sealed record ProductFixture
{
    public required string Name { get; init; }
    public decimal Price { get; init; }
    public bool InStock { get; init; } = true;
}
#pragma warning restore CS1591
