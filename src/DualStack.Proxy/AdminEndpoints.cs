using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.RateLimiting;
using DualStack.Core.Model;
using DualStack.Core.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DualStack.Proxy;

/// <summary>
/// Admin API (<c>/admin/api/*</c>) and dashboard (<c>/admin/ui</c>) of the split controller. Every call needs the admin
/// token as <c>Authorization: Bearer</c> (API clients), or the session the dashboard's sign-in starts: the cookie holds
/// a random session id kept server-side with an expiry (<see cref="SplitSettings.AdminSessionLifetime"/>), never the
/// token, and sign-out ends it. The token is never logged, echoed or stored in the browser.
/// Guessing is throttled: an address that presents <see cref="WrongTokensPerMinute"/> wrong tokens (sign-in form or
/// bearer) within a minute gets 429 with <c>Retry-After</c> for sign-ins and bearer calls until the minute is over,
/// whatever it sends. A missing or expired credential is a plain 401 and never counts, so a dashboard left open past its
/// session does not lock its operator out. The limiter is System.Threading.RateLimiting's (what ASP.NET Core's rate
/// limiting middleware runs on), used here rather than as middleware so the proxied traffic never passes through it.
/// </summary>
internal sealed class AdminEndpoints(SplitRouter router, string token, ILogger logger, AdminSessions sessions, ProxyMetrics? metrics = null)
{
    public const string CookieName = "dualstack_admin";

    /// <summary>Wrong tokens one address may present per minute before its sign-ins and bearer calls get 429.</summary>
    public const int WrongTokensPerMinute = 10;

    private readonly byte[] _token = Encoding.UTF8.GetBytes(token);

    private readonly PartitionedRateLimiter<string> _wrongTokens = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = WrongTokensPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public AdminEndpoints(SplitRouter router, string token, ILogger logger, TimeSpan sessionLifetime, ProxyMetrics? metrics = null)
        : this(router, token, logger, new AdminSessions(TimeProvider.System, sessionLifetime), metrics)
    {
    }

    public async Task HandleAsync(HttpContext context, string path)
    {
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var presentsToken = (path == "/admin/login" && HttpMethods.IsPost(context.Request.Method)) || context.Request.Headers.Authorization.Count > 0;
        if (presentsToken && _wrongTokens.GetStatistics(address) is { CurrentAvailablePermits: 0 })
        {
            metrics?.AdminThrottledOne();
            context.Response.Headers.RetryAfter = "60";
            await Problem(context, StatusCodes.Status429TooManyRequests, $"{WrongTokensPerMinute} wrong admin tokens from this address within a minute: try again in a minute").ConfigureAwait(false);
            return;
        }

        if (path == "/admin/login" && HttpMethods.IsPost(context.Request.Method))
        {
            await LoginAsync(context).ConfigureAwait(false);
            return;
        }

        if (path == "/admin/logout" && HttpMethods.IsPost(context.Request.Method))
        {
            Logout(context);
            return;
        }

        if (!Authorized(context))
        {
            if (context.Request.Headers.Authorization.Count > 0)
            {
                WrongToken(address);
            }

            Log.AdminRejected(logger, context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            if (path == "/admin/ui")
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await Html(context, Dashboard.LoginPage).ConfigureAwait(false);
                return;
            }

            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Problem(context, StatusCodes.Status401Unauthorized, "a valid admin token is required (Authorization: Bearer <token>)").ConfigureAwait(false);
            return;
        }

        var who = context.Request.Headers["X-DualStack-User"].ToString() is { Length: > 0 } user ? user : $"admin@{context.Connection.RemoteIpAddress}";
        switch (path)
        {
            case "/admin/ui":
                await Html(context, Dashboard.RenderPage(router.Trend)).ConfigureAwait(false);
                return;
            case "/admin/ui/charts" when HttpMethods.IsGet(context.Request.Method):
                await Html(context, router.Trend.RenderCharts()).ConfigureAwait(false);
                return;
            case "/admin/api/state" when HttpMethods.IsGet(context.Request.Method):
                await Json(context, router.Status()).ConfigureAwait(false);
                return;
        }

        if (!HttpMethods.IsPost(context.Request.Method))
        {
            await Problem(context, StatusCodes.Status405MethodNotAllowed, $"{context.Request.Method} {path} is not an admin operation").ConfigureAwait(false);
            return;
        }

        if (context.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            // Browsers cannot send a JSON POST cross-site without a preflight: together with SameSite cookies this blocks CSRF.
            await Problem(context, StatusCodes.Status415UnsupportedMediaType, "admin operations take application/json").ConfigureAwait(false);
            return;
        }

        try
        {
            switch (path)
            {
                case "/admin/api/percent":
                    var set = await Read<SetPercentRequest>(context).ConfigureAwait(false);
                    if (set is null || double.IsNaN(set.Percent) || set.Percent is < 0 or > 100)
                    {
                        await Problem(context, StatusCodes.Status400BadRequest, $"'percent' must be between 0 and 100 (got {set?.Percent.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing"})").ConfigureAwait(false);
                        return;
                    }

                    router.State.SetPercent(set.Percent, who, set.Reason ?? "set by admin");
                    break;
                case "/admin/api/advance":
                    var advance = await Read<ReasonRequest>(context).ConfigureAwait(false);
                    if (router.Ramp is null)
                    {
                        await Problem(context, StatusCodes.Status409Conflict, "no ramp plan: start the proxy with --ramp, or set the percentage").ConfigureAwait(false);
                        return;
                    }

                    router.Ramp.Advance(who, advance?.Reason);
                    break;
                case "/admin/api/rollback":
                    var rollback = await Read<ReasonRequest>(context).ConfigureAwait(false);
                    router.State.Rollback(who, rollback?.Reason ?? "manual rollback");
                    break;
                case "/admin/api/promote":
                    var promote = await Read<ReasonRequest>(context).ConfigureAwait(false);
                    router.State.Promote(who, promote?.Reason ?? "promoted by admin");
                    break;
                default:
                    await Problem(context, StatusCodes.Status404NotFound, $"no admin operation at {path}").ConfigureAwait(false);
                    return;
            }
        }
        catch (JsonException ex)
        {
            await Problem(context, StatusCodes.Status400BadRequest, "body is not valid JSON: " + ex.Message).ConfigureAwait(false);
            return;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            await Problem(context, StatusCodes.Status409Conflict, ex.Message).ConfigureAwait(false);
            return;
        }

        await Json(context, router.Status()).ConfigureAwait(false);
    }

    private void WrongToken(string address)
    {
        metrics?.AdminAuthFailed();
        using var permit = _wrongTokens.AttemptAcquire(address);
    }

    private bool Authorized(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && Matches(header.AsSpan(7).Trim()))
        {
            return true;
        }

        return context.Request.Cookies.TryGetValue(CookieName, out var session) && sessions.IsValid(session);
    }

    private bool Matches(ReadOnlySpan<char> candidate)
    {
        Span<byte> buffer = stackalloc byte[256];
        var max = Encoding.UTF8.GetMaxByteCount(candidate.Length);
        var bytes = max <= buffer.Length ? buffer : new byte[max];
        var length = Encoding.UTF8.GetBytes(candidate, bytes);
        return CryptographicOperations.FixedTimeEquals(bytes[..length], _token);
    }

    private async Task LoginAsync(HttpContext context)
    {
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync().ConfigureAwait(false) : null;
        var candidate = form?["token"].ToString() ?? string.Empty;
        if (!Matches(candidate))
        {
            WrongToken(context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            Log.AdminRejected(logger, context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await Html(context, Dashboard.LoginPage.Replace("<!--error-->", "<p class=\"error\">Wrong token.</p>", StringComparison.Ordinal)).ConfigureAwait(false);
            return;
        }

        context.Response.Cookies.Append(CookieName, sessions.Create(), SessionCookie(context, sessions.Lifetime));
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Redirect("/admin/ui", permanent: false);
        context.Response.StatusCode = (int)HttpStatusCode.SeeOther;
    }

    private void Logout(HttpContext context)
    {
        // No token needed: ending a session only needs its id, and SameSite=Strict keeps other sites from sending it.
        if (context.Request.Cookies.TryGetValue(CookieName, out var session))
        {
            sessions.End(session);
        }

        context.Response.Cookies.Delete(CookieName, SessionCookie(context, maxAge: null));
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Redirect("/admin/ui", permanent: false);
        context.Response.StatusCode = (int)HttpStatusCode.SeeOther;
    }

    // Secure whenever the request came over TLS, so the session id never travels in clear once TLS is on.
    private static CookieOptions SessionCookie(HttpContext context, TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Path = "/admin",
        Secure = context.Request.IsHttps,
        MaxAge = maxAge,
    };

    private static async Task<T?> Read<T>(HttpContext context) =>
        context.Request.ContentLength == 0 ? default : await JsonSerializer.DeserializeAsync<T>(context.Request.Body, DualStackJson.Options, context.RequestAborted).ConfigureAwait(false);

    private static Task Html(HttpContext context, string html)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.ContentSecurityPolicy = Dashboard.ContentSecurityPolicy;
        return context.Response.WriteAsync(html);
    }

    private static Task Json<T>(HttpContext context, T value)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        return JsonSerializer.SerializeAsync(context.Response.Body, value, DualStackJson.Options, context.RequestAborted);
    }

    private static Task Problem(HttpContext context, int status, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new { type = "about:blank", title = ReasonPhrases(status), status, detail }, DualStackJson.Options);
    }

    private static string ReasonPhrases(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}
