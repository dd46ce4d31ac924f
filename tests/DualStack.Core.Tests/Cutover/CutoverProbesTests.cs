using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using DualStack.Core.Cutover;
using DualStack.Core.Gates;
using DualStack.Core.Routing;
using Microsoft.Extensions.Time.Testing;

namespace DualStack.Core.Tests.Cutover;

/// <summary>
/// The cutover gate's checks against scripted probes: no socket, no DNS, no TLS handshake. Each test changes one answer
/// of an otherwise healthy migration and looks at the item an operator reads.
/// </summary>
public sealed class CutoverProbesTests
{
    private const string Proxy = "http://proxy.test:8080";
    private const string OldStack = "http://old.test:5001";
    private const string NewStack = "https://agent.example.com";
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset WindowStart = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static CutoverConfig Config() => new()
    {
        ProxyUrl = Proxy,
        OldStackUrl = OldStack,
        NewStackUrl = NewStack,
        BaselineErrorRate = 0.005,
        BaselineP95Ms = 800,
        WindowStart = WindowStart,
        Dns = new CutoverDns { Name = "agent.example.com", ExpectedAddresses = ["203.0.113.20", "203.0.113.21"] },
        TimeoutSeconds = 2,
    };

    private static Task<CutoverReport> Evaluate(FakeProbes probes, CutoverConfig? config = null) =>
        CutoverGate.EvaluateAsync(config ?? Config(), probes, new FakeTimeProvider(Now), CancellationToken.None);

    private static CutoverItem Item(CutoverReport report, string prefix) => report.Items.Single(i => i.Name.StartsWith(prefix, StringComparison.Ordinal));

    [Test]
    public async Task EvaluateAsync_HealthyMigration_EveryItemPassesAndEachEndpointIsProbedOnce()
    {
        var probes = new FakeProbes();

        var report = await Evaluate(probes);

        Assert.That(report.Items.Where(i => i.Status != CutoverStatus.Pass).Select(i => i.Name), Is.EqualTo(new[] { "verification run passes" }), string.Join("\n", report.Items));
        Assert.That(report.Passed, Is.True);
        Assert.That(probes.Gets.OrderBy(u => u, StringComparer.Ordinal), Is.EqualTo(new[]
        {
            "http://old.test:5001/v1/health",
            "http://proxy.test:8080/healthz",
            "http://proxy.test:8080/metrics",
            "https://agent.example.com/v1/health",
        }));
        Assert.That(Item(report, "TLS").Evidence, Is.EqualTo("CN=agent.example.com for agent.example.com, valid until 2027-03-03 12:00 UTC (90 days left); chain and host name ok"));
        Assert.That(Item(report, "DNS").Evidence, Is.EqualTo("agent.example.com → 203.0.113.20, 203.0.113.21; all expected (203.0.113.20, 203.0.113.21)"));
    }

    [Test]
    public async Task EvaluateAsync_CertificateExpiresInFiveDays_TlsFailsSayingWhen()
    {
        var probes = new FakeProbes { Certificate = Certificate(notAfter: Now.AddDays(5)) };

        var item = Item(await Evaluate(probes), "TLS");

        Assert.That(item.Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(item.Evidence, Does.EndWith(": expires in 5.0 days, less than 14"));
    }

    [Test]
    public async Task EvaluateAsync_CertificateExpiredAndUntrusted_TlsFailsNamingBoth()
    {
        var probes = new FakeProbes
        {
            Certificate = Certificate(notAfter: Now.AddDays(-1)) with { Problems = SslPolicyErrors.RemoteCertificateChainErrors, ChainProblems = "UntrustedRoot" },
        };

        var item = Item(await Evaluate(probes), "TLS");

        Assert.That(item.Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(item.Evidence, Does.EndWith("(0 days left): not valid: RemoteCertificateChainErrors (UntrustedRoot); expired"));
    }

    [Test]
    public async Task EvaluateAsync_CertificateNotYetValid_TlsFails()
    {
        var probes = new FakeProbes { Certificate = Certificate(notAfter: Now.AddDays(90)) with { NotBefore = Now.AddHours(2) } };

        var item = Item(await Evaluate(probes), "TLS");

        Assert.That(item.Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(item.Evidence, Does.EndWith(": not valid before 2026-12-03 14:00 UTC"));
    }

    [Test]
    public async Task EvaluateAsync_ServerSendsNoCertificate_TlsFails()
    {
        var probes = new FakeProbes { Certificate = null };

        var item = Item(await Evaluate(probes), "TLS");

        Assert.That((item.Status, item.Evidence), Is.EqualTo((CutoverStatus.Fail, "agent.example.com:443 sent no certificate")));
    }

    [Test]
    public async Task EvaluateAsync_HandshakeRefused_TlsFailsWithTheError()
    {
        var probes = new FakeProbes { HandshakeError = new IOException("Connection reset by peer") };

        var item = Item(await Evaluate(probes), "TLS");

        Assert.That((item.Status, item.Evidence), Is.EqualTo((CutoverStatus.Fail, "TLS handshake with agent.example.com:443 failed: Connection reset by peer")));
    }

    [Test]
    public async Task EvaluateAsync_PlainHttpNewStack_TlsNotApplicableAndNoHandshake()
    {
        var probes = new FakeProbes();

        var item = Item(await Evaluate(probes, Config() with { NewStackUrl = "http://agent.example.com" }), "TLS");

        Assert.That(item.Status, Is.EqualTo(CutoverStatus.NotApplicable));
        Assert.That(probes.Handshakes, Is.Zero);
    }

    [Test]
    public async Task EvaluateAsync_DnsStillHasTheOldAddress_FailsNamingIt()
    {
        var probes = new FakeProbes { Addresses = [IPAddress.Parse("203.0.113.20"), IPAddress.Parse("198.51.100.7")] };

        var item = Item(await Evaluate(probes), "DNS");

        Assert.That(item.Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(item.Evidence, Is.EqualTo("agent.example.com → 203.0.113.20, 198.51.100.7; not the new stack: 198.51.100.7 (expected 203.0.113.20, 203.0.113.21)"));
    }

    [Test]
    public async Task EvaluateAsync_DnsAnswersNothing_Fails()
    {
        var probes = new FakeProbes { Addresses = [] };

        var item = Item(await Evaluate(probes), "DNS");

        Assert.That((item.Status, item.Evidence), Is.EqualTo((CutoverStatus.Fail, "agent.example.com resolves to nothing; expected 203.0.113.20, 203.0.113.21")));
    }

    [Test]
    public async Task EvaluateAsync_DnsTimesOut_FailsSayingAfterHowLong()
    {
        var probes = new FakeProbes { DnsError = new TimeoutException() };

        var item = Item(await Evaluate(probes), "DNS");

        Assert.That((item.Status, item.Evidence), Is.EqualTo((CutoverStatus.Fail, "agent.example.com does not resolve: timed out after 2 s; expected 203.0.113.20, 203.0.113.21")));
    }

    [Test]
    public async Task EvaluateAsync_MetricsAnswer404_MonitoringFailsWithTheStatus()
    {
        var probes = new FakeProbes();
        probes.Statuses["http://proxy.test:8080/metrics"] = HttpStatusCode.NotFound;

        var item = Item(await Evaluate(probes), "monitoring");

        Assert.That(item.Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(item.Evidence, Is.EqualTo("GET http://proxy.test:8080/healthz: 200; GET http://proxy.test:8080/metrics: 404; GET https://agent.example.com/v1/health: 200"));
    }

    [Test]
    public async Task EvaluateAsync_OldStackHealthFails_StandbyFails()
    {
        var probes = new FakeProbes();
        probes.Statuses["http://old.test:5001/v1/health"] = HttpStatusCode.ServiceUnavailable;

        var item = Item(await Evaluate(probes), "old stack");

        Assert.That(item.Status, Is.EqualTo(CutoverStatus.Fail));
        Assert.That(item.Evidence, Does.StartWith("GET http://old.test:5001/v1/health: 503; 0 requests to the old stack"));
    }

    [Test]
    public async Task EvaluateAsync_ConversationMissingOnNewStack_MemoryFailsListingIt()
    {
        var probes = new FakeProbes();
        probes.Memory[NewStack] = new HashSet<string>(["c-1", "c-3"], StringComparer.Ordinal);

        var item = Item(await Evaluate(probes), "memory");

        Assert.That((item.Status, item.Evidence), Is.EqualTo((CutoverStatus.Fail, "1 of 3 conversations with memory on the old stack since 2026-12-01 00:00:00Z are missing on the new stack: c-2")));
        Assert.That(probes.MemorySince, Is.All.EqualTo(WindowStart), "both stacks are asked from the window's start");
    }

    [Test]
    public async Task EvaluateAsync_NewStackMemoryUnreachable_MemoryFailsNamingTheStack()
    {
        var probes = new FakeProbes { MemoryError = (NewStack, new HttpRequestException("Connection refused")) };

        var item = Item(await Evaluate(probes), "memory");

        Assert.That((item.Status, item.Evidence), Is.EqualTo((CutoverStatus.Fail, "cannot list memory: new stack: Connection refused")));
    }

    [Test]
    public async Task EvaluateAsync_AdminApiDown_EverySplitItemFailsWithTheErrorAndTheRestStillRun()
    {
        var probes = new FakeProbes { StatusError = new HttpRequestException("Connection refused") };

        var report = await Evaluate(probes);

        Assert.That(report.Items.Where(i => i.Evidence == "the proxy's admin API did not answer: Connection refused").Select(i => i.Name), Is.EqualTo(new[]
        {
            "new at 100 % for the required duration", "error rate ≤ old baseline", "response times within 10 %", "all webhooks reach the new stack", "old stack in standby",
        }));
        Assert.That(Item(report, "DNS").Status, Is.EqualTo(CutoverStatus.Pass));
        Assert.That(report.Passed, Is.False);
    }

    private static TlsCertificateFacts Certificate(DateTimeOffset notAfter) =>
        new("CN=agent.example.com", Now.AddDays(-30), notAfter, SslPolicyErrors.None, string.Empty);

    private sealed class FakeProbes : ICutoverProbes
    {
        private int _handshakes;

        public SplitStatus Status { get; init; } = Healthy();

        public Exception? StatusError { get; init; }

        public ConcurrentDictionary<string, HttpStatusCode> Statuses { get; } = new(StringComparer.Ordinal);

        public ConcurrentQueue<string> Gets { get; } = new();

        public IPAddress[] Addresses { get; init; } = [IPAddress.Parse("203.0.113.20"), IPAddress.Parse("203.0.113.21")];

        public Exception? DnsError { get; init; }

        public TlsCertificateFacts? Certificate { get; init; } = CutoverProbesTests.Certificate(Now.AddDays(90));

        public Exception? HandshakeError { get; init; }

        public int Handshakes => Volatile.Read(ref _handshakes);

        public ConcurrentDictionary<string, IReadOnlySet<string>> Memory { get; } = new(StringComparer.Ordinal)
        {
            [OldStack] = new HashSet<string>(["c-1", "c-2", "c-3"], StringComparer.Ordinal),
            [NewStack] = new HashSet<string>(["c-1", "c-2", "c-3", "c-4"], StringComparer.Ordinal),
        };

        public ConcurrentQueue<DateTimeOffset> MemorySince { get; } = new();

        public (string Stack, Exception Error)? MemoryError { get; init; }

        public static SplitStatus Healthy() => new()
        {
            Split = new SplitSnapshot(100, RolledBack: false, RollbackReason: null, RampStep: 3, Now.AddHours(-25), Version: 7, PinCount: 10),
            Old = WindowStats.Empty,
            New = new WindowStats(10_000, 30, 0.003, 300, 700, 900),
            WebhooksToNew = 12,
            RequestsToNew = 20_000,
        };

        public Task<SplitStatus> GetSplitStatusAsync(CancellationToken cancellationToken) =>
            StatusError is { } error ? Task.FromException<SplitStatus>(error) : Task.FromResult(Status);

        public Task<HttpStatusCode> GetStatusAsync(Uri uri, CancellationToken cancellationToken)
        {
            Gets.Enqueue(uri.AbsoluteUri);
            return Task.FromResult(Statuses.TryGetValue(uri.AbsoluteUri, out var status) ? status : HttpStatusCode.OK);
        }

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
            DnsError is { } error ? Task.FromException<IPAddress[]>(error) : Task.FromResult(Addresses);

        public Task<TlsCertificateFacts?> HandshakeAsync(Uri url, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _handshakes);
            return HandshakeError is { } error ? Task.FromException<TlsCertificateFacts?>(error) : Task.FromResult(Certificate);
        }

        public Task<IReadOnlySet<string>> ConversationsWithMemoryAsync(string stackUrl, DateTimeOffset since, CancellationToken cancellationToken)
        {
            MemorySince.Enqueue(since);
            return MemoryError is { } failure && failure.Stack == stackUrl ? Task.FromException<IReadOnlySet<string>>(failure.Error) : Task.FromResult(Memory.TryGetValue(stackUrl, out var ids) ? ids : new HashSet<string>());
        }
    }
}
