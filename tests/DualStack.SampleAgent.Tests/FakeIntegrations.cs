using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DualStack.SampleAgent.Tests;

internal sealed record RecordedCall(string Method, string PathAndQuery, string? ConversationId, string Body);

/// <summary>A tiny stand-in for the integrations sandbox, mounted under /sandbox, recording every call.</summary>
internal sealed class FakeIntegrations : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeIntegrations(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>Without a trailing slash, to prove the agent keeps the base path.</summary>
    public Uri BaseUrl { get; }

    public ConcurrentQueue<RecordedCall> Calls { get; } = new();

    public static async Task<FakeIntegrations> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        FakeIntegrations? self = null;
        app.Use(async (context, next) =>
        {
            context.Request.EnableBuffering();
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            context.Request.Body.Position = 0;
            self!.Calls.Enqueue(new RecordedCall(
                context.Request.Method,
                context.Request.Path + context.Request.QueryString,
                context.Request.Headers["X-Conversation-Id"].FirstOrDefault(),
                body));
            await next(context);
        });
        var sandbox = app.MapGroup("/sandbox");
        sandbox.MapGet("/orders/{orderId}", (string orderId) => orderId == "4411"
            ? Results.Ok(new
            {
                orderId,
                status = "shipped",
                eta = "2026-12-03",
                total = 59.90m,
                currency = "USD",
                items = new[] { new { sku = "S-1", name = "Sandbox Lamp", price = 59.90m } },
            })
            : Results.NotFound(new { error = "no such order" }));
        sandbox.MapPost("/refunds", () => Results.Ok(new { refundId = "R-1", status = "approved" }));
        sandbox.MapPut("/crm/customers/{userId}/address", () => Results.Ok(new { updated = true }));
        sandbox.MapGet("/crm/customers/{userId}", (string userId) => Results.Ok(new { userId, tier = "gold" }));
        sandbox.MapPost("/email/send", () => Results.Json(new { messageId = "E-1" }, statusCode: 202));
        sandbox.MapGet("/catalog/products", (string? q) => Results.Ok(new { products = new[] { new { name = "Sandbox Lamp", price = 12.5m, inStock = true } } }));
        await app.StartAsync();
        self = new FakeIntegrations(app, new Uri(app.Urls.First().TrimEnd('/') + "/sandbox"));
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
