using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DualStack.Core.Config;
using DualStack.Core.Cutover;
using DualStack.Core.Gates;
using DualStack.Core.Judgement;
using DualStack.Core.Results;
using DualStack.Core.Routing;
using DualStack.Core.Tests.Support;
using static DualStack.Core.Tests.Support.Runs;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using DualStack.TestUtils;

namespace DualStack.Core.Tests.Cutover;

public sealed class CutoverGateTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset WindowStart = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly IPAddress NewAddress = IPAddress.Parse("203.0.113.20");

    private WireMockServer _old = null!;
    private WireMockServer _new = null!;
    private WireMockServer _proxy = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public void StartServers()
    {
        _old = WireMockLoopback.Start();
        _new = WireMockLoopback.Start();
        _proxy = WireMockLoopback.Start();
        _http = new HttpClient();
    }

    [OneTimeTearDown]
    public void StopServers()
    {
        _http.Dispose();
        _old.Stop();
        _old.Dispose();
        _new.Stop();
        _new.Dispose();
        _proxy.Stop();
        _proxy.Dispose();
    }

    [SetUp]
    public void StubHealthySystems()
    {
        foreach (var server in new[] { _old, _new, _proxy })
        {
            server.Reset();
        }

        Stub(_old, "/v1/health", 200, """{ "status": "ok", "version": "1" }""");
        Stub(_new, "/v1/health", 200, """{ "status": "ok", "version": "2" }""");
        Stub(_proxy, "/healthz", 200, "ok");
        Stub(_proxy, "/metrics", 200, "dualstack_requests_total 1");

        // Old stack: two pages, plus an entry from before the window that is not required on the new stack.
        StubMemory(_old, since: null, cursor: "2", ("m-0", "c-before", "2026-11-20T10:00:00Z"), ("m-1", "c-1", "2026-12-01T10:00:00Z"), ("m-2", "c-2", "2026-12-02T10:00:00Z"));
        StubMemory(_old, since: "2", cursor: "3", ("m-3", "c-3", "2026-12-02T11:00:00Z"), ("m-4", "c-1", "2026-12-02T12:00:00Z"));
        StubMemory(_old, since: "3", cursor: "3");
        StubMemory(_new, since: null, cursor: "9", ("n-1", "c-1", "2026-12-01T10:00:00Z"), ("n-2", "c-2", "2026-12-02T10:00:00Z"), ("n-3", "c-3", "2026-12-02T11:00:00Z"), ("n-4", "c-4", "2026-12-03T10:00:00Z"));
        StubMemory(_new, since: "9", cursor: "9");
    }

    private static void Stub(WireMockServer server, string path, int status, string body) =>
        server.Given(Request.Create().WithPath(path).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body));

    private static void StubMemory(WireMockServer server, string? since, string cursor, params (string Id, string Conversation, string CreatedAt)[] entries)
    {
        var items = string.Join(", ", entries.Select(e => $$"""{ "id": "{{e.Id}}", "userId": "u-1", "text": "t", "conversationId": "{{e.Conversation}}", "createdAt": "{{e.CreatedAt}}" }"""));
        var request = Request.Create().WithPath("/v1/memory").UsingGet();
        if (since is not null)
        {
            request = request.WithParam("since", since);
        }

        // WireMock: the lower number wins; pages after a cursor beat the first page.
        server.Given(request).AtPriority(since is null ? 10 : 1)
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody($$"""{ "entries": [{{items}}], "cursor": "{{cursor}}" }"""));
    }

    private CutoverConfig Config() => new()
    {
        ProxyUrl = _proxy.Url!,
        OldStackUrl = _old.Url!,
        NewStackUrl = _new.Url!,
        BaselineErrorRate = 0.005,
        BaselineP95Ms = 800,
        WindowStart = WindowStart,
        Dns = new CutoverDns { Name = "agent.example.com", ExpectedAddresses = ["203.0.113.20"] },
        TimeoutSeconds = 5,
    };

    private static SplitStatus Status() => new()
    {
        Split = new SplitSnapshot(100, RolledBack: false, RollbackReason: null, RampStep: 3, Now.AddHours(-25), Version: 7, PinCount: 10),
        Old = WindowStats.Empty,
        New = new WindowStats(10_000, 30, 0.003, 300, 700, 900),
        WebhooksToNew = 12,
        RequestsToNew = 20_000,
    };

    private static Task<IPAddress[]> ResolvesToNew(string name) => Task.FromResult(new[] { NewAddress });

    private Task<CutoverReport> Evaluate(CutoverConfig? config = null, SplitStatus? status = null, Func<string, Task<IPAddress[]>>? dns = null) =>
        CutoverGate.EvaluateAsync(config ?? Config(), new FakeAdmin(() => status ?? Status()), _http, dns ?? ResolvesToNew, new FakeTimeProvider(Now), CancellationToken.None);

    private static CutoverItem Item(CutoverReport report, string prefix) => report.Items.Single(i => i.Name.StartsWith(prefix, StringComparison.Ordinal));

    [Test]
    public async Task EvaluateAsync_EverythingInOrder_PassesEveryApplicableItem()
    {
        var report = await Evaluate();

        Assert.That(report.Items.Select(i => i.Name), Is.EqualTo(new[]
        {
            "new at 100 % for the required duration",
            "error rate ≤ old baseline",
            "response times within 10 %",
            "all webhooks reach the new stack",
            "memory on the new stack includes every conversation of the migration window",
            "monitoring reachable",
            "DNS resolves to the new stack",
            "TLS certificate valid and not expiring within 14 days",
            "old stack in standby",
            "verification run passes",
        }));
        Assert.That(report.Items.Where(i => i.Status != CutoverStatus.Pass).Select(i => i.Name), Is.EqualTo(new[] { "TLS certificate valid and not expiring within 14 days", "verification run passes" }), string.Join("\n", report.Items));
        Assert.That(Item(report, "verification").Status, Is.EqualTo(CutoverStatus.NotApplicable));
        Assert.That(Item(report, "TLS").Status, Is.EqualTo(CutoverStatus.NotApplicable));
        Assert.That(report.Passed, Is.True);
        Assert.That(Item(report, "memory").Evidence, Does.StartWith("all 3 conversations with memory on the old stack since 2026-12-01 00:00:00Z are on the new stack"));
        Assert.That(Item(report, "new at 100 %").Evidence, Does.StartWith("at 100 % for 1 d 1 h"));
    }

    [Test]
    public async Task EvaluateAsync_NotAt100_FullDurationFails()
    {
        var report = await Evaluate(status: Status() with { Split = Status().Split with { Percent = 50 } });

        Assert.That(Item(report, "new at 100 %"), Has.Property("Status").EqualTo(CutoverStatus.Fail).And.Property("Evidence").EqualTo("the new stack is at 50 %, not 100 %"));
        Assert.That(report.Passed, Is.False);
    }

    [Test]
    public async Task EvaluateAsync_At100ForTwoHours_FullDurationFails()
    {
        var report = await Evaluate(status: Status() with { Split = Status().Split with { ChangedAt = Now.AddHours(-2) } });

        Assert.That(Item(report, "new at 100 %").Evidence, Does.StartWith("at 100 % for only 2 h 0 min").And.EndWith("required 1 d 0 h"));
    }

    [Test]
    public async Task EvaluateAsync_RolledBack_FullDurationFails()
    {
        var report = await Evaluate(status: Status() with { Split = Status().Split with { Percent = 0, RolledBack = true, RollbackReason = "error-rate: bad" } });

        Assert.That(Item(report, "new at 100 %").Evidence, Is.EqualTo("the split is rolled back (error-rate: bad)"));
    }

    [Test]
    public async Task EvaluateAsync_NewErrorRateAboveBaseline_Fails()
    {
        var report = await Evaluate(status: Status() with { New = new WindowStats(1_000, 20, 0.02, 300, 700, 900) });

        var item = Item(report, "error rate");
        Assert.That(item.Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(item.Evidence, Is.EqualTo("new 2.00 % (20/1000) > baseline 0.50 % (baselineErrorRate in the config) + tolerance 0.1 points"));
    }

    [Test]
    public async Task EvaluateAsync_NoConfiguredBaseline_UsesOldWindow()
    {
        var report = await Evaluate(
            config: Config() with { BaselineErrorRate = null, BaselineP95Ms = null },
            status: Status() with { Old = new WindowStats(1_000, 10, 0.01, 300, 650, 900) });

        Assert.That(Item(report, "error rate"), Has.Property("Status").EqualTo(CutoverStatus.Pass).And.Property("Evidence").Contains("old window, 10/1000"));
        Assert.That(Item(report, "response times"), Has.Property("Status").EqualTo(CutoverStatus.Pass).And.Property("Evidence").Contains("715.0 ms"));
    }

    [Test]
    public async Task EvaluateAsync_NoBaselineAnywhere_ErrorRateAndLatencyFail()
    {
        var report = await Evaluate(config: Config() with { BaselineErrorRate = null, BaselineP95Ms = null });

        Assert.That(Item(report, "error rate").Evidence, Does.StartWith("no baseline: the old stack's window has no requests and baselineErrorRate is not set"));
        Assert.That(Item(report, "response times").Evidence, Does.StartWith("no baseline: "));
    }

    [Test]
    public async Task EvaluateAsync_NewP95MoreThanTenPercentSlower_LatencyFails()
    {
        var report = await Evaluate(status: Status() with { New = new WindowStats(10_000, 30, 0.003, 300, 900, 1_200) });

        var item = Item(report, "response times within 10 %");
        Assert.That(item.Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(item.Evidence, Is.EqualTo("new p95 900.0 ms > limit 880.0 ms (baseline 800.0 ms from baselineP95Ms in the config, × 1.1)"));
    }

    [Test]
    public async Task EvaluateAsync_WebhooksStillReachOld_Fails()
    {
        var report = await Evaluate(status: Status() with { WebhooksToOld = 3 });

        Assert.That(Item(report, "all webhooks"), Has.Property("Status").EqualTo(CutoverStatus.Fail).And.Property("Evidence").EqualTo("since the last split change: 12 to the new stack, 3 to the old"));
    }

    [TestCase(true, CutoverStatus.Fail)]
    [TestCase(false, CutoverStatus.NotApplicable)]
    public async Task EvaluateAsync_NoWebhooksSeen_DependsOnExpectWebhooks(bool expect, CutoverStatus expected)
    {
        var report = await Evaluate(config: Config() with { ExpectWebhooks = expect }, status: Status() with { WebhooksToNew = 0 });

        Assert.That(Item(report, "all webhooks").Status, Is.EqualTo(expected));
        Assert.That(report.Passed, Is.EqualTo(!expect));
    }

    [Test]
    public async Task EvaluateAsync_ConversationMissingOnNewStack_FailsListingIt()
    {
        StubMemory(_new, since: null, cursor: "9", ("n-1", "c-1", "2026-12-01T10:00:00Z"));

        var report = await Evaluate();

        var item = Item(report, "memory");
        Assert.That(item.Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(item.Evidence, Is.EqualTo("2 of 3 conversations with memory on the old stack since 2026-12-01 00:00:00Z are missing on the new stack: c-2, c-3"));
    }

    [Test]
    public async Task EvaluateAsync_ManyConversationsMissing_ListsTenAndCountsTheRest()
    {
        var entries = Enumerable.Range(10, 12).Select(i => ($"m-{i}", $"c-{i}", "2026-12-02T10:00:00Z")).ToArray();
        StubMemory(_old, since: null, cursor: "3", entries);

        var report = await Evaluate();

        Assert.That(Item(report, "memory").Evidence, Does.EndWith(": c-10, c-11, c-12, c-13, c-14, c-15, c-16, c-17, c-18, c-19 (+2 more)"));
    }

    [Test]
    public async Task EvaluateAsync_OldMemoryFails_MemoryItemNamesTheError()
    {
        _old.Given(Request.Create().WithPath("/v1/memory").UsingGet()).AtPriority(0).RespondWith(Response.Create().WithStatusCode(503));

        var report = await Evaluate();

        Assert.That(Item(report, "memory").Evidence, Does.StartWith("cannot list memory: old stack: ").And.Contain("GET /v1/memory answered 503"));
    }

    [Test]
    public async Task EvaluateAsync_MetricsMissing_MonitoringFails()
    {
        Stub(_proxy, "/metrics", 404, "");

        var report = await Evaluate();

        var item = Item(report, "monitoring");
        Assert.That(item.Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(item.Evidence, Does.Contain("/healthz: 200").And.Contain("/metrics: 404").And.Contain("/v1/health: 200"));
    }

    [Test]
    public async Task EvaluateAsync_DnsStillOnOldAddress_Fails()
    {
        var report = await Evaluate(dns: _ => Task.FromResult(new[] { NewAddress, IPAddress.Parse("198.51.100.7") }));

        Assert.That(Item(report, "DNS"), Has.Property("Status").EqualTo(CutoverStatus.Fail).And.Property("Evidence").Contains("not the new stack: 198.51.100.7"));
    }

    [Test]
    public async Task EvaluateAsync_DnsLookupFails_Fails()
    {
        var report = await Evaluate(dns: _ => throw new SocketException((int)SocketError.HostNotFound));

        Assert.That(Item(report, "DNS"), Has.Property("Status").EqualTo(CutoverStatus.Fail).And.Property("Evidence").StartsWith("agent.example.com does not resolve: "));
    }

    [Test]
    public async Task EvaluateAsync_NoDnsSection_NotApplicable()
    {
        var report = await Evaluate(config: Config() with { Dns = null });

        Assert.That(Item(report, "DNS").Status, Is.EqualTo(CutoverStatus.NotApplicable));
    }

    [Test]
    public async Task EvaluateAsync_OldStackStillServing_StandbyFails()
    {
        var report = await Evaluate(status: Status() with { RequestsToOld = 5 });

        Assert.That(Item(report, "old stack in standby"), Has.Property("Status").EqualTo(CutoverStatus.Fail).And.Property("Evidence").Contains("5 requests to the old stack since the last split change"));
    }

    [Test]
    public async Task EvaluateAsync_OldStackUnhealthy_StandbyFails()
    {
        Stub(_old, "/v1/health", 503, "{}");

        var report = await Evaluate();

        Assert.That(Item(report, "old stack in standby"), Has.Property("Status").EqualTo(CutoverStatus.Fail).And.Property("Evidence").Contains("/v1/health: 503"));
    }

    [Test]
    public async Task EvaluateAsync_AdminApiDown_SplitItemsFailWithTheError()
    {
        var report = await CutoverGate.EvaluateAsync(Config(), new FakeAdmin(() => throw new HttpRequestException("Connection refused")), _http, ResolvesToNew, new FakeTimeProvider(Now), CancellationToken.None);

        var failed = report.Items.Where(i => i.Status == CutoverStatus.Fail).ToArray();
        Assert.That(failed.Select(i => i.Name), Is.EqualTo(new[] { "new at 100 % for the required duration", "error rate ≤ old baseline", "response times within 10 %", "all webhooks reach the new stack", "old stack in standby" }));
        Assert.That(failed.Select(i => i.Evidence), Is.All.EqualTo("the proxy's admin API did not answer: Connection refused"));
    }

    [Test]
    public async Task EvaluateAsync_NewStackDown_MonitoringFailsWithoutThrowing()
    {
        using var closed = new ClosedPort();
        var report = await Evaluate(config: Config() with { NewStackUrl = closed.Url.AbsoluteUri });

        Assert.That(Item(report, "monitoring").Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(Item(report, "memory").Evidence, Does.StartWith("cannot list memory: new stack: "));
    }

    private static async Task<CutoverVerification> Results(RunResult run, string failOn = "major", double maxErrors = 0)
    {
        var directory = Path.Combine(Path.GetTempPath(), "dualstack-cutover-" + Guid.NewGuid().ToString("N")[..8]);
        return new CutoverVerification { Results = await ResultsFile.WriteAsync(run, directory, CancellationToken.None), FailOn = failOn, MaxErrors = maxErrors };
    }

    [Test]
    public async Task EvaluateAsync_VerificationOnlyMinorRegression_PassesByDefault()
    {
        var report = await Evaluate(config: Config() with { Verification = await Results(Run(Conversation("a", Turn(Verdict.Regression, Severity.Minor)))) });

        Assert.That(Item(report, "verification").Status, Is.EqualTo(CutoverStatus.Pass), Item(report, "verification").Evidence);
        Assert.That(report.Passed, Is.True);
    }

    [Test]
    public async Task EvaluateAsync_VerificationMinorRegressionWithFailOnMinor_FailsAsRegression()
    {
        var report = await Evaluate(config: Config() with { Verification = await Results(Run(Conversation("a", Turn(Verdict.Regression, Severity.Minor))), failOn: "minor") });

        Assert.That(Item(report, "verification").Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(report.CouldNotJudge, Is.False);
        Assert.That(report.Verification!.ExitCode, Is.EqualTo(1));
    }

    [Test]
    public async Task EvaluateAsync_VerificationWithErrors_FailsAsCouldNotJudgeUnlessTolerated()
    {
        var run = Run(Conversation("a", Turn(Verdict.Match)), Conversation("b", Turn(Verdict.Error)));

        var strict = await Evaluate(config: Config() with { Verification = await Results(run) });
        var tolerant = await Evaluate(config: Config() with { Verification = await Results(run, maxErrors: 0.5) });

        Assert.That(Item(strict, "verification").Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(Item(strict, "verification").Evidence, Does.Contain("could not judge"));
        Assert.That(strict.CouldNotJudge, Is.True);
        Assert.That(tolerant.Passed, Is.True, Item(tolerant, "verification").Evidence);
    }

    [Test]
    public async Task EvaluateAsync_VerificationCouldNotJudgeAndAnotherItemFails_IsAPlainFailure()
    {
        var report = await Evaluate(
            config: Config() with { Verification = await Results(Run(Conversation("b", Turn(Verdict.Error)))) },
            status: Status() with { Split = Status().Split with { Percent = 50 } });

        Assert.That(report.Verification!.Kind, Is.EqualTo(RunOutcomeKind.CouldNotJudge));
        Assert.That(report.CouldNotJudge, Is.False, "a failing gate item beats could-not-judge, as a regression does");
    }

    [Test]
    public async Task EvaluateAsync_VerificationResultsMissing_FailsNamingThePath()
    {
        var report = await Evaluate(config: Config() with { Verification = new CutoverVerification { Results = "/nonexistent/results.json" } });

        Assert.That(Item(report, "verification").Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(Item(report, "verification").Evidence, Does.Contain("/nonexistent/results.json"));
    }

    [Test]
    public void EvaluateAsync_InvalidConfig_ThrowsConfigException()
    {
        var ex = Assert.ThrowsAsync<ConfigException>(() => Evaluate(config: Config() with { WindowStart = null }));

        Assert.That(ex!.Errors.Single(), Does.StartWith("cutover config: windowStart: is missing"));
    }

    [Test]
    public async Task CheckTls_TrustedCertificateValidFor90Days_Passes()
    {
        using var certificate = SelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90));
        await using var server = new TlsServer(certificate);

        var item = await CutoverGate.CheckTlsAsync(server.Url, 14, new FakeTimeProvider(DateTimeOffset.UtcNow), TimeSpan.FromSeconds(5), certificate, CancellationToken.None);

        Assert.That(item.Status, Is.EqualTo(CutoverStatus.Pass), item.Evidence);
        Assert.That(item.Evidence, Does.StartWith("CN=new-stack.test for 127.0.0.1, valid until ").And.EndWith("chain and host name ok"));
    }

    [Test]
    public async Task CheckTls_ExpiresInFiveDays_Fails()
    {
        using var certificate = SelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(5));
        await using var server = new TlsServer(certificate);

        var item = await CutoverGate.CheckTlsAsync(server.Url, 14, new FakeTimeProvider(DateTimeOffset.UtcNow), TimeSpan.FromSeconds(5), certificate, CancellationToken.None);

        Assert.That(item.Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(item.Evidence, Does.Match(@"expires in (4\.9|5\.0) days, less than 14$"));
    }

    [Test]
    public async Task CheckTls_UntrustedCertificate_FailsWithChainErrors()
    {
        using var certificate = SelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90));
        await using var server = new TlsServer(certificate);

        var item = await CutoverGate.CheckTlsAsync(server.Url, 14, TimeProvider.System, TimeSpan.FromSeconds(5), trustedRoot: null, CancellationToken.None);

        Assert.That(item.Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(item.Evidence, Does.Contain("not valid: RemoteCertificateChainErrors"));
    }

    [Test]
    public async Task CheckTls_NothingListening_FailsNamingHandshake()
    {
        using var closed = new ClosedPort();
        var url = new Uri($"https://127.0.0.1:{closed.Port}/");

        var item = await CutoverGate.CheckTlsAsync(url, 14, TimeProvider.System, TimeSpan.FromSeconds(5), trustedRoot: null, CancellationToken.None);

        Assert.That(item.Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(item.Evidence, Does.StartWith($"TLS handshake with 127.0.0.1:{url.Port} failed: "));
    }

    [Test]
    public async Task CheckTls_PlainHttp_NotApplicable()
    {
        var item = await CutoverGate.CheckTlsAsync(new Uri("http://new:8080"), 30, TimeProvider.System, TimeSpan.FromSeconds(5), trustedRoot: null, CancellationToken.None);

        Assert.That(item, Is.EqualTo(new CutoverItem("TLS certificate valid and not expiring within 30 days", CutoverStatus.NotApplicable, "http://new:8080/ is not https")));
    }

    private static X509Certificate2 SelfSigned(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=new-stack.test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var created = request.CreateSelfSigned(notBefore, notAfter);
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), password: null);
    }

    private sealed class FakeAdmin(Func<SplitStatus> state) : ISplitAdminApi
    {
        public Task<SplitStatus> GetStateAsync(CancellationToken cancellationToken) => Task.FromResult(state());

        public Task<SplitStatus> SetPercentAsync(SetPercentRequest body, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<SplitStatus> AdvanceAsync(ReasonRequest body, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<SplitStatus> RollbackAsync(ReasonRequest body, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<SplitStatus> PromoteAsync(ReasonRequest body, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    /// <summary>A TLS endpoint on 127.0.0.1 that completes handshakes with one certificate and sends nothing.</summary>
    private sealed class TlsServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly X509Certificate2 _certificate;
        private readonly Task _accepting;

        public TlsServer(X509Certificate2 certificate)
        {
            _certificate = certificate;
            _listener.Start();
            Url = new Uri($"https://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
            _accepting = AcceptAsync();
        }

        public Uri Url { get; }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _accepting;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // stopping
            }

            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using (client)
            {
                try
                {
                    await using var ssl = new SslStream(client.GetStream());
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
                    _ = await ssl.ReadAtLeastAsync(new byte[1], 1, throwOnEndOfStream: false, _stop.Token);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or AuthenticationException or ObjectDisposedException)
                {
                    // the client looked at the certificate and left
                }
            }
        }
    }
}
