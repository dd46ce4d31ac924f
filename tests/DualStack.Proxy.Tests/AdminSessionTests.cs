using DualStack.TestUtils;
using System.Net;
using System.Net.Http.Headers;
using DualStack.Core.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Net.Http.Headers;

namespace DualStack.Proxy.Tests;

/// <summary>Dashboard sign-in: the cookie is a random server-side session, never the admin token (issue 18, item 10).</summary>
public sealed class AdminSessionTests
{
    private const string Token = "session-test-admin-token-7f3a9c";

    private static Task<LoopbackApp> Stack() => LoopbackApp.StartAsync(app => app.MapPost("/v1/conversations/{id}/turns", (string id) => Results.Json(new { conversationId = id, reply = "x" })));

    private static Task<ProxyServer> Split(Uri old, Uri @new) =>
        ProxyServer.StartAsync(new ProxyOptions { Old = old, New = @new, Split = new SplitSettings { AdminToken = Token, TickInterval = TimeSpan.FromMilliseconds(100) } });

    private static HttpClient Browser(ProxyServer proxy) =>
        new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = proxy.BaseAddress };

    private static async Task<SetCookieHeaderValue> SignInAsync(HttpClient http, string token = Token)
    {
        using var response = await http.PostAsync("admin/login", new FormUrlEncodedContent([new("token", token)]));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
        return SetCookieHeaderValue.Parse(response.Headers.GetValues("Set-Cookie").Single());
    }

    private static async Task<HttpStatusCode> StateWithCookieAsync(HttpClient http, string session)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "admin/api/state");
        request.Headers.Add("Cookie", $"{AdminEndpoints.CookieName}={session}");
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Test]
    public async Task Login_ValidToken_CookieIsARandomHttpOnlyStrictSessionIdNotTheToken()
    {
        await using var old = await Stack();
        await using var @new = await Stack();
        await using var proxy = await Split(old.Address, @new.Address);
        using var http = Browser(proxy);

        var first = await SignInAsync(http);
        var second = await SignInAsync(http);

        Assert.Multiple(() =>
        {
            Assert.That(first.Name.Value, Is.EqualTo(AdminEndpoints.CookieName));
            Assert.That(first.Value.Value, Is.Not.EqualTo(Token).And.Not.Contains(Token));
            Assert.That(Uri.UnescapeDataString(first.Value.Value!), Does.Not.Contain(Token));
            Assert.That(first.Value.Value!.Length, Is.GreaterThanOrEqualTo(40), "at least 32 random bytes");
            Assert.That(second.Value.Value, Is.Not.EqualTo(first.Value.Value), "every sign-in gets its own session");
            Assert.That(first.HttpOnly, Is.True);
            Assert.That(first.SameSite, Is.EqualTo(Microsoft.Net.Http.Headers.SameSiteMode.Strict));
            Assert.That(first.Secure, Is.False, "plain http on loopback: a Secure cookie would never be sent back");
            Assert.That(first.Path.Value, Is.EqualTo("/admin"));
            Assert.That(first.MaxAge, Is.EqualTo(TimeSpan.FromHours(8)));
        });
        Assert.That(await StateWithCookieAsync(http, first.Value.Value!), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await StateWithCookieAsync(http, second.Value.Value!), Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Cookie_HoldingTheTokenItself_Is401()
    {
        await using var old = await Stack();
        await using var @new = await Stack();
        await using var proxy = await Split(old.Address, @new.Address);
        using var http = Browser(proxy);

        Assert.That(await StateWithCookieAsync(http, Token), Is.EqualTo(HttpStatusCode.Unauthorized), "a cookie is a session id, not a place for the token");
        Assert.That(await StateWithCookieAsync(http, "made-up-session-id"), Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Logout_SignedOutSession_Is401AndCookieCleared()
    {
        await using var old = await Stack();
        await using var @new = await Stack();
        await using var proxy = await Split(old.Address, @new.Address);
        using var http = Browser(proxy);
        var session = (await SignInAsync(http)).Value.Value!;
        var other = (await SignInAsync(http)).Value.Value!;

        using var logout = new HttpRequestMessage(HttpMethod.Post, "admin/logout");
        logout.Headers.Add("Cookie", $"{AdminEndpoints.CookieName}={session}");
        using var response = await http.SendAsync(logout);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
        var cleared = SetCookieHeaderValue.Parse(response.Headers.GetValues("Set-Cookie").Single());
        Assert.That(cleared.Value.Value, Is.Empty);
        Assert.That(cleared.Expires, Is.LessThan(DateTimeOffset.UtcNow));
        Assert.That(await StateWithCookieAsync(http, session), Is.EqualTo(HttpStatusCode.Unauthorized), "the server forgot the session, not only the browser");
        Assert.That(await StateWithCookieAsync(http, other), Is.EqualTo(HttpStatusCode.OK), "signing out ends only that session");
    }

    [Test]
    public async Task Bearer_TokenStillWorksForApiClientsWithoutSignIn()
    {
        await using var old = await Stack();
        await using var @new = await Stack();
        await using var proxy = await Split(old.Address, @new.Address);
        using var http = Browser(proxy);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        var status = await SplitAdminClient.Create(proxy.BaseAddress!, Token).GetStateAsync(CancellationToken.None);
        using var state = await http.GetAsync("admin/api/state");

        Assert.That(state.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(state.Headers.Contains("Set-Cookie"), Is.False, "API clients get no session");
        Assert.That(status.Split.Percent, Is.Zero);
    }

    [Test]
    public async Task Session_PastItsLifetime_Is401()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var admin = Endpoints(time, TimeSpan.FromHours(1));
        var session = await SignInAsync(admin, https: false);

        time.Advance(TimeSpan.FromMinutes(59));
        Assert.That(await StateAsync(admin, session), Is.EqualTo(StatusCodes.Status200OK));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.That(await StateAsync(admin, session), Is.EqualTo(StatusCodes.Status401Unauthorized));
    }

    [Test]
    public async Task Login_OverTls_CookieIsSecure()
    {
        var admin = Endpoints(new FakeTimeProvider(), TimeSpan.FromHours(8));
        var context = LoginContext(https: true);

        await admin.HandleAsync(context, "/admin/login");

        var cookie = SetCookieHeaderValue.Parse(context.Response.Headers.SetCookie.Single());
        Assert.That(cookie.Secure && cookie.HttpOnly && cookie.SameSite == Microsoft.Net.Http.Headers.SameSiteMode.Strict, Is.True, cookie.ToString());
    }

    [Test]
    public async Task Login_TenWrongTokens_NextSignInIs429EvenWithTheRightTokenAndCounted()
    {
        await using var old = await Stack();
        await using var @new = await Stack();
        await using var proxy = await Split(old.Address, @new.Address);
        using var http = Browser(proxy);

        for (var i = 0; i < AdminEndpoints.WrongTokensPerMinute; i++)
        {
            using var wrong = await http.PostAsync("admin/login", new FormUrlEncodedContent([new("token", "guess-" + i)]));
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), $"guess {i + 1}");
        }

        using var right = await http.PostAsync("admin/login", new FormUrlEncodedContent([new("token", Token)]));
        using var bearer = new HttpRequestMessage(HttpMethod.Get, "admin/api/state");
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var api = await http.SendAsync(bearer);
        var metrics = PrometheusText.Parse(await http.GetStringAsync("metrics"));

        Assert.Multiple(() =>
        {
            Assert.That(right.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), "guessing stops for the rest of the minute");
            Assert.That(right.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(60)));
            Assert.That(right.Headers.Contains("Set-Cookie"), Is.False);
            Assert.That(api.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), "bearer calls from the same address too");
            Assert.That(metrics.Value("dualstack_admin_auth_failures_total"), Is.EqualTo(AdminEndpoints.WrongTokensPerMinute));
            Assert.That(metrics.Value("dualstack_admin_throttled_total"), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Admin_MissingOrExpiredCredentials_AreNotCountedAsGuesses()
    {
        await using var old = await Stack();
        await using var @new = await Stack();
        await using var proxy = await Split(old.Address, @new.Address);
        using var http = Browser(proxy);

        // A dashboard left open past its session polls with a dead cookie; that must not lock its operator out.
        for (var i = 0; i < 3 * AdminEndpoints.WrongTokensPerMinute; i++)
        {
            Assert.That(await StateWithCookieAsync(http, "expired-session-" + i), Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        var cookie = await SignInAsync(http);
        var metrics = PrometheusText.Parse(await http.GetStringAsync("metrics"));

        Assert.That(cookie.Value.Value, Is.Not.Empty);
        Assert.That((metrics.Value("dualstack_admin_auth_failures_total"), metrics.Value("dualstack_admin_throttled_total")), Is.EqualTo((0.0, 0.0)));
    }

    private static AdminEndpoints Endpoints(TimeProvider time, TimeSpan lifetime)
    {
        var options = new ProxyOptions { Old = new Uri("http://127.0.0.1:1/"), New = new Uri("http://127.0.0.1:2/"), Split = new SplitSettings { AdminToken = Token } };
        return new AdminEndpoints(new SplitRouter(options, time, NullLogger.Instance), Token, NullLogger.Instance, new AdminSessions(time, lifetime));
    }

    private static DefaultHttpContext LoginContext(bool https)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Scheme = https ? "https" : "http";
        context.Request.Path = "/admin/login";
        context.Request.ContentType = "application/x-www-form-urlencoded";
        context.Request.Body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes("token=" + Uri.EscapeDataString(Token)));
        return context;
    }

    private static async Task<string> SignInAsync(AdminEndpoints admin, bool https)
    {
        var context = LoginContext(https);
        await admin.HandleAsync(context, "/admin/login");
        Assert.That(context.Response.StatusCode, Is.EqualTo(StatusCodes.Status303SeeOther));
        return SetCookieHeaderValue.Parse(context.Response.Headers.SetCookie.Single()).Value.Value!;
    }

    private static async Task<int> StateAsync(AdminEndpoints admin, string session)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/admin/api/state";
        context.Request.Headers.Cookie = $"{AdminEndpoints.CookieName}={session}";
        context.Response.Body = new MemoryStream();
        await admin.HandleAsync(context, "/admin/api/state");
        return context.Response.StatusCode;
    }
}
