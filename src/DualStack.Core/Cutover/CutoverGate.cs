using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using DualStack.Core.Config;
using DualStack.Core.Memory;
using DualStack.Core.Model;
using DualStack.Core.Results;
using DualStack.Core.Routing;
using DualStack.Core.Stacks;
using Refit;

namespace DualStack.Core.Cutover;

/// <summary>Outcome of one cutover check.</summary>
public enum CutoverStatus
{
    /// <summary>Ready.</summary>
    Pass,

    /// <summary>Not ready; the evidence says why.</summary>
    Fail,

    /// <summary>The check does not apply to this setup (e.g. no DNS name configured, plain http).</summary>
    NotApplicable,
}

/// <summary>One check of the cutover gate.</summary>
/// <param name="Name">What is checked, for people.</param>
/// <param name="Status">Outcome.</param>
/// <param name="Evidence">The numbers, addresses or errors behind the outcome.</param>
public sealed record CutoverItem(string Name, CutoverStatus Status, string Evidence);

/// <summary>The cutover gate's answer.</summary>
/// <param name="Items">Every check, in a fixed order.</param>
/// <param name="Passed">True when no check failed.</param>
/// <param name="Verification">The configured verification run's outcome; null when none is configured or it could not be read.</param>
public sealed record CutoverReport(IReadOnlyList<CutoverItem> Items, bool Passed, RunOutcome? Verification = null)
{
    /// <summary>
    /// True when the only failing check is a verification run that could not judge (errors beyond maxErrors, nothing
    /// judged): hosts report it as exit 3. Any other failing check, or a regression, makes it a plain failure (exit 1).
    /// </summary>
    public bool CouldNotJudge =>
        Verification is { Kind: RunOutcomeKind.CouldNotJudge }
        && Items.Where(i => i.Status == CutoverStatus.Fail).All(i => i.Name == CutoverGate.VerificationItem);
}

/// <summary>
/// Decides whether the old stack can be switched off: new stack at 100 % long enough, error rate and latency no worse
/// than the old baseline, webhooks and traffic on the new stack only, memory complete, monitoring, DNS and TLS in order,
/// old stack healthy in standby. Never throws for an unreachable system: that is a failed check with its error.
/// </summary>
public static class CutoverGate
{
    internal const string FullDurationItem = "new at 100 % for the required duration";
    internal const string ErrorRateItem = "error rate ≤ old baseline";
    internal const string WebhooksItem = "all webhooks reach the new stack";
    internal const string MemoryItem = "memory on the new stack includes every conversation of the migration window";
    internal const string MonitoringItem = "monitoring reachable";
    internal const string DnsItem = "DNS resolves to the new stack";
    internal const string StandbyItem = "old stack in standby";
    internal const string VerificationItem = "verification run passes";
    private const int MaxListedMissing = 10;

    /// <summary>
    /// Runs every check (the network ones concurrently) and reports them in a fixed order. Throws
    /// <see cref="ConfigException"/> for an invalid <paramref name="config"/>; only cancellation otherwise.
    /// </summary>
    /// <param name="config">What to check; see <see cref="CutoverConfig"/>.</param>
    /// <param name="admin">The proxy's admin API (split, windows, counters since the last split change).</param>
    /// <param name="http">Client for the stacks' and proxy's HTTP endpoints (absolute URLs; no base address needed).</param>
    /// <param name="dns">Resolves a host name, e.g. <see cref="Dns.GetHostAddressesAsync(string)"/>.</param>
    /// <param name="time">Clock for durations and certificate expiry.</param>
    /// <param name="cancellationToken">Stops the checks.</param>
    public static Task<CutoverReport> EvaluateAsync(CutoverConfig config, ISplitAdminApi admin, HttpClient http, Func<string, Task<IPAddress[]>> dns, TimeProvider time, CancellationToken cancellationToken) =>
        EvaluateAsync(config, admin, http, dns, time, trustedRoot: null, cancellationToken);

    internal static async Task<CutoverReport> EvaluateAsync(CutoverConfig config, ISplitAdminApi admin, HttpClient http, Func<string, Task<IPAddress[]>> dns, TimeProvider time, X509Certificate2? trustedRoot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(dns);
        ArgumentNullException.ThrowIfNull(time);
        var errors = CutoverConfigLoader.Validate(config, "cutover config");
        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        var timeout = TimeSpan.FromSeconds(config.TimeoutSeconds);
        var statusTask = GetStatusAsync(admin, timeout, cancellationToken);
        var memoryTask = CheckMemoryAsync(config, time, timeout, cancellationToken);
        var monitoringTask = CheckMonitoringAsync(config, http, timeout, cancellationToken);
        var dnsTask = CheckDnsAsync(config.Dns, dns, timeout, cancellationToken);
        var tlsTask = CheckTlsAsync(new Uri(config.NewStackUrl), config.TlsMinDaysValid, time, timeout, trustedRoot, cancellationToken);
        var oldHealthTask = GetAsync(http, Combine(config.OldStackUrl, "v1/health"), timeout, cancellationToken);
        var verificationTask = CheckVerificationAsync(config.Verification, cancellationToken);
        await Task.WhenAll(statusTask, memoryTask, monitoringTask, dnsTask, tlsTask, oldHealthTask, verificationTask).ConfigureAwait(false);
        var (verificationItem, verification) = await verificationTask.ConfigureAwait(false);

        var (status, statusError) = await statusTask.ConfigureAwait(false);
        var now = time.GetUtcNow();
        CutoverItem[] items =
        [
            status is null ? AdminDown(FullDurationItem, statusError) : CheckFullDuration(status, config, now),
            status is null ? AdminDown(ErrorRateItem, statusError) : CheckErrorRate(status, config),
            status is null ? AdminDown(LatencyItem(config), statusError) : CheckLatency(status, config),
            status is null ? AdminDown(WebhooksItem, statusError) : CheckWebhooks(status, config),
            await memoryTask.ConfigureAwait(false),
            await monitoringTask.ConfigureAwait(false),
            await dnsTask.ConfigureAwait(false),
            await tlsTask.ConfigureAwait(false),
            status is null ? AdminDown(StandbyItem, statusError) : CheckStandby(status, await oldHealthTask.ConfigureAwait(false)),
            verificationItem,
        ];
        return new CutoverReport(items, items.All(i => i.Status != CutoverStatus.Fail), verification);
    }

    /// <summary>Judges the configured verification run with the run policy (the rule of <see cref="RunOutcome"/>).</summary>
    private static async Task<(CutoverItem Item, RunOutcome? Outcome)> CheckVerificationAsync(CutoverVerification? verification, CancellationToken cancellationToken)
    {
        if (verification is null)
        {
            return (new CutoverItem(VerificationItem, CutoverStatus.NotApplicable, "no verification run configured (verification.results)"), null);
        }

        var path = Directory.Exists(verification.Results) ? Path.Combine(verification.Results, Results.ResultsFile.FileName) : verification.Results;
        Results.RunResult run;
        try
        {
            run = await Results.ResultsFile.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or JsonException)
        {
            return (new CutoverItem(VerificationItem, CutoverStatus.Fail, $"cannot read {path}: {ex.Message}"), null);
        }

        var outcome = RunOutcome.Evaluate(run, verification.Policy);
        var evidence = $"run {run.RunId} ({run.Summary.Conversations} conversations): {outcome.Message}";
        return (new CutoverItem(VerificationItem, outcome.Kind == RunOutcomeKind.Ok ? CutoverStatus.Pass : CutoverStatus.Fail, evidence), outcome);
    }

    internal static string LatencyItem(CutoverConfig config) => Invariant($"response times within {(config.MaxP95Ratio - 1) * 100:0.##} %");

    internal static string TlsItem(int days) => Invariant($"TLS certificate valid and not expiring within {days} days");

    internal static async Task<CutoverItem> CheckTlsAsync(Uri url, int days, TimeProvider time, TimeSpan timeout, X509Certificate2? trustedRoot, CancellationToken cancellationToken)
    {
        var name = TlsItem(days);
        if (url.Scheme != Uri.UriSchemeHttps)
        {
            return new CutoverItem(name, CutoverStatus.NotApplicable, $"{url} is not https");
        }

        X509Certificate2? certificate = null;
        var problems = SslPolicyErrors.None;
        var chainProblems = string.Empty;
        try
        {
            using var cts = Timeout(timeout, cancellationToken);
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(url.Host, url.Port, cts.Token).ConfigureAwait(false);
            using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = url.IdnHost,
                    RemoteCertificateValidationCallback = (_, cert, chain, errors) =>
                    {
                        // Accept to look at it; nothing is sent over this connection.
                        certificate = cert is null ? null : X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
                        problems = errors;
                        chainProblems = chain is null ? string.Empty : string.Join(", ", chain.ChainStatus.Select(s => s.Status).Distinct());
                        return true;
                    },
                },
                cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            certificate?.Dispose();
            return new CutoverItem(name, CutoverStatus.Fail, $"TLS handshake with {url.Host}:{url.Port} failed: {Describe(ex, timeout)}");
        }

        using (certificate)
        {
            if (certificate is null)
            {
                return new CutoverItem(name, CutoverStatus.Fail, $"{url.Host}:{url.Port} sent no certificate");
            }

            if (trustedRoot is not null && problems == SslPolicyErrors.RemoteCertificateChainErrors && ChainsTo(certificate, trustedRoot))
            {
                problems = SslPolicyErrors.None;
                chainProblems = string.Empty;
            }

            var now = time.GetUtcNow();
            var left = new DateTimeOffset(certificate.NotAfter.ToUniversalTime()) - now;
            var findings = new List<string>();
            if (problems != SslPolicyErrors.None)
            {
                findings.Add($"not valid: {problems}{(chainProblems.Length > 0 ? $" ({chainProblems})" : string.Empty)}");
            }

            if (new DateTimeOffset(certificate.NotBefore.ToUniversalTime()) > now)
            {
                findings.Add(Invariant($"not valid before {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} UTC"));
            }

            if (left < TimeSpan.FromDays(days))
            {
                findings.Add(left <= TimeSpan.Zero ? "expired" : Invariant($"expires in {left.TotalDays:F1} days, less than {days}"));
            }

            var about = Invariant($"{certificate.Subject} for {url.Host}, valid until {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC ({Math.Max(0, left.TotalDays):F0} days left)");
            return findings.Count == 0
                ? new CutoverItem(name, CutoverStatus.Pass, about + "; chain and host name ok")
                : new CutoverItem(name, CutoverStatus.Fail, about + ": " + string.Join("; ", findings));
        }
    }

    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private static async Task<(SplitStatus? Status, string Error)> GetStatusAsync(ISplitAdminApi admin, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            using var cts = Timeout(timeout, cancellationToken);
            return (await admin.GetStateAsync(cts.Token).ConfigureAwait(false), string.Empty);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return (null, Describe(ex, timeout));
        }
    }

    private static CutoverItem AdminDown(string name, string error) => new(name, CutoverStatus.Fail, $"the proxy's admin API did not answer: {error}");

    private static CutoverItem CheckFullDuration(SplitStatus status, CutoverConfig config, DateTimeOffset now)
    {
        var split = status.Split;
        var required = TimeSpan.FromSeconds(config.RequiredAtFullSeconds);
        if (split.RolledBack)
        {
            return new(FullDurationItem, CutoverStatus.Fail, $"the split is rolled back ({split.RollbackReason})");
        }

        if (split.Percent < 100)
        {
            return new(FullDurationItem, CutoverStatus.Fail, Invariant($"the new stack is at {split.Percent} %, not 100 %"));
        }

        var held = now - split.ChangedAt;
        return held >= required
            ? new(FullDurationItem, CutoverStatus.Pass, Invariant($"at 100 % for {Duration(held)} since {split.ChangedAt:u} (required {Duration(required)})"))
            : new(FullDurationItem, CutoverStatus.Fail, Invariant($"at 100 % for only {Duration(held)} since {split.ChangedAt:u}; required {Duration(required)}"));
    }

    private static CutoverItem CheckErrorRate(SplitStatus status, CutoverConfig config)
    {
        var @new = status.New;
        if (@new.Requests == 0)
        {
            return new(ErrorRateItem, CutoverStatus.Fail, "the new stack's window has no requests to judge");
        }

        var (baseline, from) = config.BaselineErrorRate is { } configured ? (configured, "baselineErrorRate in the config")
            : status.Old.Requests > 0 ? (status.Old.ErrorRate, Invariant($"old window, {status.Old.Errors}/{status.Old.Requests}"))
            : (double.NaN, string.Empty);
        if (double.IsNaN(baseline))
        {
            return new(ErrorRateItem, CutoverStatus.Fail, "no baseline: the old stack's window has no requests and baselineErrorRate is not set in the config");
        }

        var limit = baseline + config.ErrorRateTolerance;
        var pass = @new.ErrorRate <= limit;
        return new(ErrorRateItem, pass ? CutoverStatus.Pass : CutoverStatus.Fail, Invariant(
            $"new {@new.ErrorRate:P2} ({@new.Errors}/{@new.Requests}) {(pass ? "≤" : ">")} baseline {baseline:P2} ({from}) + tolerance {config.ErrorRateTolerance * 100:0.###} points"));
    }

    private static CutoverItem CheckLatency(SplitStatus status, CutoverConfig config)
    {
        var name = LatencyItem(config);
        var @new = status.New;
        if (@new.Requests == 0)
        {
            return new(name, CutoverStatus.Fail, "the new stack's window has no requests to judge");
        }

        var (baseline, from) = config.BaselineP95Ms is { } configured ? (configured, "baselineP95Ms in the config")
            : status.Old.Requests > 0 ? (status.Old.P95Ms, "the old window")
            : (double.NaN, string.Empty);
        if (double.IsNaN(baseline))
        {
            return new(name, CutoverStatus.Fail, "no baseline: the old stack's window has no requests and baselineP95Ms is not set in the config");
        }

        var limit = baseline * config.MaxP95Ratio;
        var pass = @new.P95Ms <= limit;
        return new(name, pass ? CutoverStatus.Pass : CutoverStatus.Fail, Invariant(
            $"new p95 {@new.P95Ms:F1} ms {(pass ? "≤" : ">")} limit {limit:F1} ms (baseline {baseline:F1} ms from {from}, × {config.MaxP95Ratio:0.###})"));
    }

    private static CutoverItem CheckWebhooks(SplitStatus status, CutoverConfig config)
    {
        var counts = Invariant($"since the last split change: {status.WebhooksToNew} to the new stack, {status.WebhooksToOld} to the old");
        if (status.WebhooksToOld == 0 && status.WebhooksToNew == 0)
        {
            return config.ExpectWebhooks
                ? new(WebhooksItem, CutoverStatus.Fail, $"no webhooks seen {counts[..counts.IndexOf(':', StringComparison.Ordinal)]}; expectWebhooks is true")
                : new(WebhooksItem, CutoverStatus.NotApplicable, "no webhooks seen and expectWebhooks is false");
        }

        return status.WebhooksToOld == 0
            ? new(WebhooksItem, CutoverStatus.Pass, counts)
            : new(WebhooksItem, CutoverStatus.Fail, counts);
    }

    private static CutoverItem CheckStandby(SplitStatus status, (bool Ok, string Detail) health)
    {
        var traffic = Invariant($"{status.RequestsToOld} requests to the old stack since the last split change ({status.Split.ChangedAt:u})");
        var pass = health.Ok && status.RequestsToOld == 0;
        return new(StandbyItem, pass ? CutoverStatus.Pass : CutoverStatus.Fail, $"{health.Detail}; {traffic}");
    }

    private static async Task<CutoverItem> CheckMemoryAsync(CutoverConfig config, TimeProvider time, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var since = config.WindowStart!.Value;
        // The memory API's own paging (one implementation, shared with `memory snapshot|diff|merge` and the drills).
        var feed = new MemoryFeed(new MemorySyncOptions { RequestTimeout = timeout }, time);
        using var oldStack = MemoryClient.Create(config.OldStackUrl);
        using var newStack = MemoryClient.Create(config.NewStackUrl);
        var oldTask = ConversationsSinceAsync(feed, oldStack, since, cancellationToken);
        var newTask = ConversationsSinceAsync(feed, newStack, since, cancellationToken);
        try
        {
            await Task.WhenAll(oldTask, newTask).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            var failures = new[] { ("old", oldTask), ("new", newTask) }
                .Where(t => t.Item2.IsFaulted || t.Item2.IsCanceled)
                .Select(t => $"{t.Item1} stack: {Describe(t.Item2.Exception?.InnerException ?? new TaskCanceledException(), timeout)}");
            return new(MemoryItem, CutoverStatus.Fail, "cannot list memory: " + string.Join("; ", failures));
        }

        var oldIds = await oldTask.ConfigureAwait(false);
        var newIds = await newTask.ConfigureAwait(false);
        var missing = oldIds.Where(id => !newIds.Contains(id)).Order(StringComparer.Ordinal).ToArray();
        var window = Invariant($"since {since:u}");
        if (missing.Length == 0)
        {
            return new(MemoryItem, CutoverStatus.Pass, Invariant($"all {oldIds.Count} conversations with memory on the old stack {window} are on the new stack ({newIds.Count} there)"));
        }

        var listed = string.Join(", ", missing.Take(MaxListedMissing));
        var more = missing.Length > MaxListedMissing ? Invariant($" (+{missing.Length - MaxListedMissing} more)") : string.Empty;
        return new(MemoryItem, CutoverStatus.Fail, Invariant($"{missing.Length} of {oldIds.Count} conversations with memory on the old stack {window} are missing on the new stack: {listed}{more}"));
    }

    private static async Task<HashSet<string>> ConversationsSinceAsync(MemoryFeed feed, MemoryClient stack, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var entry in feed.ReadAllAsync(stack, cancellationToken).ConfigureAwait(false))
        {
            if (!string.IsNullOrEmpty(entry.ConversationId) && entry.CreatedAt is { } createdAt && createdAt >= since)
            {
                ids.Add(entry.ConversationId);
            }
        }

        return ids;
    }

    private static async Task<CutoverItem> CheckMonitoringAsync(CutoverConfig config, HttpClient http, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var checks = await Task.WhenAll(
            GetAsync(http, Combine(config.ProxyUrl, "healthz"), timeout, cancellationToken),
            GetAsync(http, Combine(config.ProxyUrl, "metrics"), timeout, cancellationToken),
            GetAsync(http, Combine(config.NewStackUrl, "v1/health"), timeout, cancellationToken)).ConfigureAwait(false);
        return new(MonitoringItem, checks.All(c => c.Ok) ? CutoverStatus.Pass : CutoverStatus.Fail, string.Join("; ", checks.Select(c => c.Detail)));
    }

    private static async Task<CutoverItem> CheckDnsAsync(CutoverDns? config, Func<string, Task<IPAddress[]>> resolve, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (config is null)
        {
            return new(DnsItem, CutoverStatus.NotApplicable, "no dns section in the config");
        }

        var expected = config.ExpectedAddresses.Select(IPAddress.Parse).ToArray();
        var expectedText = string.Join(", ", expected.Select(a => a.ToString()));
        IPAddress[] resolved;
        try
        {
            resolved = await resolve(config.Name).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new(DnsItem, CutoverStatus.Fail, $"{config.Name} does not resolve: {Describe(ex, timeout)}; expected {expectedText}");
        }

        var unexpected = resolved.Where(a => !expected.Contains(a)).ToArray();
        var resolvedText = resolved.Length == 0 ? "nothing" : string.Join(", ", resolved.Select(a => a.ToString()));
        if (resolved.Length == 0)
        {
            return new(DnsItem, CutoverStatus.Fail, $"{config.Name} resolves to nothing; expected {expectedText}");
        }

        return unexpected.Length == 0
            ? new(DnsItem, CutoverStatus.Pass, $"{config.Name} → {resolvedText}; all expected ({expectedText})")
            : new(DnsItem, CutoverStatus.Fail, $"{config.Name} → {resolvedText}; not the new stack: {string.Join(", ", unexpected.Select(a => a.ToString()))} (expected {expectedText})");
    }

    private static async Task<(bool Ok, string Detail)> GetAsync(HttpClient http, Uri uri, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            using var cts = Timeout(timeout, cancellationToken);
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            return (response.IsSuccessStatusCode, Invariant($"GET {uri}: {(int)response.StatusCode}"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return (false, $"GET {uri}: {Describe(ex, timeout)}");
        }
    }

    private static Uri Combine(string baseUrl, string relative) => new(baseUrl.TrimEnd('/') + "/" + relative);

    private static CancellationTokenSource Timeout(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        return cts;
    }

    private static string Describe(Exception ex, TimeSpan timeout) => ex switch
    {
        OperationCanceledException or TimeoutException => Invariant($"timed out after {timeout.TotalSeconds:0.#} s"),
        ApiException api => Invariant($"{(int)api.StatusCode} {api.ReasonPhrase}"),
        HttpRequestException { InnerException: { } inner } http when !http.Message.Contains(inner.Message, StringComparison.Ordinal) => $"{http.Message} ({inner.Message})",
        _ => ex.Message,
    };

    private static string Duration(TimeSpan span) => span switch
    {
        { TotalDays: >= 1 } => Invariant($"{(int)span.TotalDays} d {span.Hours} h"),
        { TotalHours: >= 1 } => Invariant($"{(int)span.TotalHours} h {span.Minutes} min"),
        { TotalMinutes: >= 1 } => Invariant($"{(int)span.TotalMinutes} min {span.Seconds} s"),
        _ => Invariant($"{Math.Max(0, (int)span.TotalSeconds)} s"),
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
