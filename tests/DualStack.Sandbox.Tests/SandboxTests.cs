using System.Net.Http.Json;
using System.Text.Json;
using DualStack.Sandbox;

namespace DualStack.Sandbox.Tests;

public sealed class SandboxTests
{
    private static readonly SandboxFixtures Fixtures = new()
    {
        Orders = [new OrderFixture { OrderId = "4411", Status = "shipped", Eta = "2026-12-03", Total = 59.90m, Currency = "USD" }],
        MissingOrders = ["9999"],
        Catalog = [new ProductFixture { Name = "wireless headphones", Price = 59.90m }, new ProductFixture { Name = "desk lamp", Price = 29m, InStock = false }],
    };

    [Test]
    public async Task Orders_KnownUnknownAndMissing_AnswerFromFixturesDeterministically()
    {
        using var sandbox = IntegrationSandbox.Start(Fixtures);
        using var http = new HttpClient { BaseAddress = sandbox.BaseAddress };

        var known = await http.GetFromJsonAsync<JsonElement>("orders/4411");
        Assert.That(known.GetProperty("status").GetString(), Is.EqualTo("shipped"));

        var synthesized1 = await http.GetStringAsync("orders/123456");
        var synthesized2 = await http.GetStringAsync("orders/123456");
        Assert.That(synthesized1, Is.EqualTo(synthesized2), "unknown ids get stable pseudo-data so both stacks see the same order");

        using var missing = await http.GetAsync("orders/9999");
        Assert.That((int)missing.StatusCode, Is.EqualTo(404));
    }

    [Test]
    public async Task SkillCallsFor_CallsWithConversationHeader_MapsRoutesToSkillsInOrder()
    {
        using var sandbox = IntegrationSandbox.Start(Fixtures);
        using var http = new HttpClient { BaseAddress = sandbox.BaseAddress };
        await Send(http, HttpMethod.Get, "orders/4411", null, "c-1");
        await Send(http, HttpMethod.Post, "refunds", """{"orderId":"4411","amount":25.00,"currency":"USD","reason":"broken"}""", "c-1");
        await Send(http, HttpMethod.Post, "email/send", """{"to":"u-1","template":"refund_confirmation"}""", "c-1");
        await Send(http, HttpMethod.Get, "orders/4411", null, "c-2");

        var calls = sandbox.SkillCallsFor("c-1");

        Assert.That(calls.Select(c => c.Name), Is.EqualTo(new[] { "lookup_order", "issue_refund", "send_email" }));
        Assert.That(calls[1].Arguments!.Value.GetProperty("amount").GetDecimal(), Is.EqualTo(25.00m));
        Assert.That(calls.All(c => c.Status == "ok"), Is.True);
        Assert.That(sandbox.SkillCallsFor("c-2"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Catalog_Query_ReturnsOnlyMatchingProducts()
    {
        using var sandbox = IntegrationSandbox.Start(Fixtures);
        using var http = new HttpClient { BaseAddress = sandbox.BaseAddress };

        var result = await http.GetFromJsonAsync<JsonElement>("catalog/products?q=headphones");

        var names = result.GetProperty("products").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToArray();
        Assert.That(names, Is.EqualTo(new[] { "wireless headphones" }));
    }

    [Test]
    public void Load_MalformedFixtures_ThrowsNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fixtures-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{ \"orders\": [ ");
        try
        {
            var ex = Assert.Throws<InvalidDataException>(() => SandboxFixtures.Load(path));
            Assert.That(ex!.Message, Does.Contain(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task Send(HttpClient http, HttpMethod method, string path, string? json, string conversation)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add(IntegrationSandbox.ConversationHeader, conversation);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        Assert.That(response.IsSuccessStatusCode, Is.True, $"{method} {path}");
    }
}
