using System.Net;
using System.Text.Json;
using DualStack.Core.Capture;
using DualStack.Core.Gates;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DualStack.Proxy;

/// <summary>
/// The proxy's named health checks (ASP.NET Core health checks). Unhealthy (503 at <c>/healthz</c>): the capture
/// store is failing or dropping, or the old stack does not answer. Degraded (still 200, named in the body): the shadow
/// circuit is open, or the split is rolled back, a gate fails, or the shared state is stale. Those concern the new
/// stack, and taking the proxy out of a load balancer would not help the traffic it serves.
/// </summary>
internal static class ProxyHealth
{
    public const string CaptureStore = "capture-store";
    public const string OldStack = "old-stack";
    public const string ShadowStack = "shadow-stack";
    public const string Split = "split";

    /// <summary>Writes the report as JSON: overall status, then each check with its status, description and data.</summary>
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.StatusCode = report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        using var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", Name(report.Status));
            json.WriteNumber("durationMs", Math.Round(report.TotalDuration.TotalMilliseconds, 1));
            json.WriteStartArray("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteString("status", Name(entry.Status));
                json.WriteString("description", entry.Description ?? entry.Exception?.Message ?? string.Empty);
                json.WriteNumber("durationMs", Math.Round(entry.Duration.TotalMilliseconds, 1));
                if (entry.Data.Count > 0)
                {
                    json.WriteStartObject("data");
                    foreach (var (key, value) in entry.Data)
                    {
                        json.WritePropertyName(key);
                        JsonSerializer.Serialize(json, value, value?.GetType() ?? typeof(object), ProxyHealthJson.Options);
                    }

                    json.WriteEndObject();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted).ConfigureAwait(false);
    }

    private static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };
}

internal static class ProxyHealthJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}

/// <summary>Unhealthy while the capture writer's failed writes or drops have not been followed by a successful batch.</summary>
internal sealed class CaptureStoreHealthCheck(CaptureWriter writer, CaptureStoreMonitor monitor) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["enqueued"] = writer.Enqueued,
            ["written"] = writer.Written,
            ["dropped"] = writer.Dropped,
            ["storeFailures"] = writer.StoreFailures,
            ["pending"] = writer.Pending,
        };
        if (writer.LastError is { } error)
        {
            data["lastError"] = error;
            data["lastErrorAt"] = writer.LastErrorAt!.Value;
        }

        return Task.FromResult(monitor.Failing
            ? new HealthCheckResult(HealthStatus.Unhealthy, "capture store failing or dropping: " + monitor.LastError, data: data)
            : HealthCheckResult.Healthy("writing", data));
    }
}

/// <summary>Unhealthy when the old stack does not answer its health path (refused, reset, timeout) or answers 5xx.</summary>
internal sealed class OldStackHealthCheck(HttpMessageInvoker client, Uri probe, TimeSpan timeout) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object> { ["url"] = probe.GetLeftPart(UriPartial.Path) };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, probe);
            using var response = await client.SendAsync(request, cts.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            data["status"] = status;
            // Any answer below 500 means reachable: a stack without a health endpoint answers 404 and still serves.
            return status >= 500
                ? HealthCheckResult.Unhealthy($"old stack answered {status}", data: data)
                : HealthCheckResult.Healthy($"old stack answered {status}", data);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"old stack did not answer within {timeout.TotalSeconds:0.#} s", data: data);
        }
        catch (HttpRequestException ex)
        {
            return HealthCheckResult.Unhealthy("old stack unreachable: " + ex.Message, data: data);
        }
    }

    public static HttpMessageInvoker CreateClient() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
    });
}

/// <summary>Degraded while the shadow circuit is open or half-open (the shadow stack is down); healthy otherwise.</summary>
internal sealed class ShadowHealthCheck(ShadowMirror shadow, ProxyMetrics metrics) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = shadow.Breaker.State;
        var data = new Dictionary<string, object>
        {
            ["circuit"] = state.ToString().ToLowerInvariant(),
            ["sent"] = metrics.ShadowSent,
            ["failed"] = metrics.ShadowFailed,
            ["dropped"] = metrics.ShadowDropped,
            ["compared"] = metrics.ShadowCompared,
            ["stored"] = metrics.ShadowStored,
        };
        if (shadow.Store is { } store)
        {
            data["storeDropped"] = store.Dropped;
            data["storePending"] = store.Pending;
        }

        if (shadow.Failures.Last is { } last)
        {
            data["lastError"] = last.Message;
        }

        if (shadow.StoreFailures.Last is { } storeLast)
        {
            data["lastStoreError"] = storeLast.Message;
        }

        return Task.FromResult(state == BreakerState.Closed
            ? HealthCheckResult.Healthy("mirroring", data)
            : HealthCheckResult.Degraded($"shadow stack down: circuit {data["circuit"]} until {shadow.Breaker.OpenUntil:O}", data: data));
    }
}

/// <summary>Degraded when the split is rolled back, a gate fails or the shared split state is stale; healthy otherwise.</summary>
internal sealed class SplitHealthCheck(SplitRouter split) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = split.Status();
        var data = new Dictionary<string, object>
        {
            ["percent"] = status.Split.Percent,
            ["rolledBack"] = status.Split.RolledBack,
            ["gates"] = status.Gates.ToDictionary(g => g.Name, g => g.Status.ToString().ToLowerInvariant()),
        };
        var problems = new List<string>();
        if (status.Split.RolledBack)
        {
            problems.Add("rolled back: " + status.Split.RollbackReason);
        }

        problems.AddRange(status.Gates.Where(g => g.Status == GateStatus.Fail).Select(g => $"gate {g.Name} fails: {g.Evidence}"));
        if (split.Shared is { Stale: true } shared)
        {
            data["sharedStateAgeSeconds"] = Math.Round(shared.Age.TotalSeconds, 1);
            problems.Add("shared split state stale");
        }

        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy($"{status.Split.Percent}% to the new stack", data)
            : HealthCheckResult.Degraded(string.Join("; ", problems), data: data));
    }
}
