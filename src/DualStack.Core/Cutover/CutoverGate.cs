using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using DualStack.Core.Config;
using DualStack.Core.Results;
using DualStack.Core.Routing;
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
/// old stack healthy in standby. Never throws for an unreachable system: that is a failed check with its error. It asks
/// the world through <see cref="ICutoverProbes"/> and judges the answers with <see cref="CutoverChecks"/>.
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

    internal static Task<CutoverReport> EvaluateAsync(CutoverConfig config, ISplitAdminApi admin, HttpClient http, Func<string, Task<IPAddress[]>> dns, TimeProvider time, X509Certificate2? trustedRoot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(dns);
        ArgumentNullException.ThrowIfNull(time);
        return EvaluateAsync(config, new NetworkCutoverProbes(admin, http, dns, time, TimeSpan.FromSeconds(config.TimeoutSeconds), trustedRoot), time, cancellationToken);
    }

    /// <summary>Runs every check against <paramref name="probes"/>; see the public overload.</summary>
    internal static async Task<CutoverReport> EvaluateAsync(CutoverConfig config, ICutoverProbes probes, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(probes);
        ArgumentNullException.ThrowIfNull(time);
        var errors = CutoverConfigLoader.Validate(config, "cutover config");
        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        var timeout = TimeSpan.FromSeconds(config.TimeoutSeconds);
        var statusTask = GetStatusAsync(probes, timeout, cancellationToken);
        var memoryTask = CheckMemoryAsync(config, probes, timeout, cancellationToken);
        var monitoringTask = CheckMonitoringAsync(config, probes, timeout, cancellationToken);
        var dnsTask = CheckDnsAsync(config.Dns, probes, timeout, cancellationToken);
        var tlsTask = CheckTlsAsync(new Uri(config.NewStackUrl), config.TlsMinDaysValid, probes.HandshakeAsync, time, timeout, cancellationToken);
        var oldHealthTask = GetAsync(probes, Combine(config.OldStackUrl, "v1/health"), timeout, cancellationToken);
        var verificationTask = CheckVerificationAsync(config.Verification, cancellationToken);
        await Task.WhenAll(statusTask, memoryTask, monitoringTask, dnsTask, tlsTask, oldHealthTask, verificationTask).ConfigureAwait(false);
        var (verificationItem, verification) = await verificationTask.ConfigureAwait(false);

        var (status, statusError) = await statusTask.ConfigureAwait(false);
        var now = time.GetUtcNow();
        CutoverItem[] items =
        [
            status is null ? AdminDown(FullDurationItem, statusError) : CutoverChecks.FullDuration(status, config, now),
            status is null ? AdminDown(ErrorRateItem, statusError) : CutoverChecks.ErrorRate(status, config),
            status is null ? AdminDown(LatencyItem(config), statusError) : CutoverChecks.Latency(status, config),
            status is null ? AdminDown(WebhooksItem, statusError) : CutoverChecks.Webhooks(status, config),
            await memoryTask.ConfigureAwait(false),
            await monitoringTask.ConfigureAwait(false),
            await dnsTask.ConfigureAwait(false),
            await tlsTask.ConfigureAwait(false),
            status is null ? AdminDown(StandbyItem, statusError) : CutoverChecks.Standby(status, await oldHealthTask.ConfigureAwait(false)),
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

    /// <summary>The TLS check over the network (a handshake with <paramref name="url"/>), as the gate runs it.</summary>
    internal static Task<CutoverItem> CheckTlsAsync(Uri url, int days, TimeProvider time, TimeSpan timeout, X509Certificate2? trustedRoot, CancellationToken cancellationToken) =>
        CheckTlsAsync(url, days, (u, ct) => NetworkCutoverProbes.HandshakeAsync(u, trustedRoot, ct), time, timeout, cancellationToken);

    private static async Task<CutoverItem> CheckTlsAsync(Uri url, int days, Func<Uri, CancellationToken, Task<TlsCertificateFacts?>> handshake, TimeProvider time, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (url.Scheme != Uri.UriSchemeHttps)
        {
            return new CutoverItem(TlsItem(days), CutoverStatus.NotApplicable, $"{url} is not https");
        }

        TlsCertificateFacts? certificate;
        try
        {
            using var cts = Timeout(timeout, cancellationToken);
            certificate = await handshake(url, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new CutoverItem(TlsItem(days), CutoverStatus.Fail, $"TLS handshake with {url.Host}:{url.Port} failed: {Describe(ex, timeout)}");
        }

        return CutoverChecks.Tls(url, days, certificate, time.GetUtcNow());
    }

    private static async Task<(SplitStatus? Status, string Error)> GetStatusAsync(ICutoverProbes probes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            using var cts = Timeout(timeout, cancellationToken);
            return (await probes.GetSplitStatusAsync(cts.Token).ConfigureAwait(false), string.Empty);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return (null, Describe(ex, timeout));
        }
    }

    private static CutoverItem AdminDown(string name, string error) => new(name, CutoverStatus.Fail, $"the proxy's admin API did not answer: {error}");

    private static async Task<CutoverItem> CheckMemoryAsync(CutoverConfig config, ICutoverProbes probes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var since = config.WindowStart!.Value;
        var oldTask = probes.ConversationsWithMemoryAsync(config.OldStackUrl, since, cancellationToken);
        var newTask = probes.ConversationsWithMemoryAsync(config.NewStackUrl, since, cancellationToken);
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

        return CutoverChecks.Memory(await oldTask.ConfigureAwait(false), await newTask.ConfigureAwait(false), since);
    }

    private static async Task<CutoverItem> CheckMonitoringAsync(CutoverConfig config, ICutoverProbes probes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var checks = await Task.WhenAll(
            GetAsync(probes, Combine(config.ProxyUrl, "healthz"), timeout, cancellationToken),
            GetAsync(probes, Combine(config.ProxyUrl, "metrics"), timeout, cancellationToken),
            GetAsync(probes, Combine(config.NewStackUrl, "v1/health"), timeout, cancellationToken)).ConfigureAwait(false);
        return CutoverChecks.Monitoring(checks);
    }

    private static async Task<CutoverItem> CheckDnsAsync(CutoverDns? config, ICutoverProbes probes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (config is null)
        {
            return new(DnsItem, CutoverStatus.NotApplicable, "no dns section in the config");
        }

        IPAddress[] resolved;
        try
        {
            using var cts = Timeout(timeout, cancellationToken);
            resolved = await probes.ResolveAsync(config.Name, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var expected = string.Join(", ", config.ExpectedAddresses.Select(a => IPAddress.Parse(a).ToString()));
            return new(DnsItem, CutoverStatus.Fail, $"{config.Name} does not resolve: {Describe(ex, timeout)}; expected {expected}");
        }

        return CutoverChecks.Dns(config, resolved);
    }

    private static async Task<(bool Ok, string Detail)> GetAsync(ICutoverProbes probes, Uri uri, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            using var cts = Timeout(timeout, cancellationToken);
            var status = await probes.GetStatusAsync(uri, cts.Token).ConfigureAwait(false);
            return ((int)status is >= 200 and <= 299, Invariant($"GET {uri}: {(int)status}"));
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

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
