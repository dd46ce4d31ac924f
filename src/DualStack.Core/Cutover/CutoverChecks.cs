using System.Globalization;
using System.Net;
using DualStack.Core.Routing;

namespace DualStack.Core.Cutover;

/// <summary>
/// The cutover gate's checks as pure functions of what the probes found (<see cref="ICutoverProbes"/>), the config and
/// the time: no network, no clock of their own.
/// </summary>
internal static class CutoverChecks
{
    private const int MaxListedMissing = 10;

    /// <summary>New at 100 % (not rolled back) for at least <see cref="CutoverConfig.RequiredAtFullSeconds"/> at <paramref name="now"/>.</summary>
    public static CutoverItem FullDuration(SplitStatus status, CutoverConfig config, DateTimeOffset now)
    {
        var split = status.Split;
        var required = TimeSpan.FromSeconds(config.RequiredAtFullSeconds);
        if (split.RolledBack)
        {
            return new(CutoverGate.FullDurationItem, CutoverStatus.Fail, $"the split is rolled back ({split.RollbackReason})");
        }

        if (split.Percent < 100)
        {
            return new(CutoverGate.FullDurationItem, CutoverStatus.Fail, Invariant($"the new stack is at {split.Percent} %, not 100 %"));
        }

        var held = now - split.ChangedAt;
        return held >= required
            ? new(CutoverGate.FullDurationItem, CutoverStatus.Pass, Invariant($"at 100 % for {Duration(held)} since {split.ChangedAt:u} (required {Duration(required)})"))
            : new(CutoverGate.FullDurationItem, CutoverStatus.Fail, Invariant($"at 100 % for only {Duration(held)} since {split.ChangedAt:u}; required {Duration(required)}"));
    }

    /// <summary>New window's error rate ≤ baseline (config, else the old window) + tolerance.</summary>
    public static CutoverItem ErrorRate(SplitStatus status, CutoverConfig config)
    {
        var @new = status.New;
        if (@new.Requests == 0)
        {
            return new(CutoverGate.ErrorRateItem, CutoverStatus.Fail, "the new stack's window has no requests to judge");
        }

        var (baseline, from) = config.BaselineErrorRate is { } configured ? (configured, "baselineErrorRate in the config")
            : status.Old.Requests > 0 ? (status.Old.ErrorRate, Invariant($"old window, {status.Old.Errors}/{status.Old.Requests}"))
            : (double.NaN, string.Empty);
        if (double.IsNaN(baseline))
        {
            return new(CutoverGate.ErrorRateItem, CutoverStatus.Fail, "no baseline: the old stack's window has no requests and baselineErrorRate is not set in the config");
        }

        var limit = baseline + config.ErrorRateTolerance;
        var pass = @new.ErrorRate <= limit;
        return new(CutoverGate.ErrorRateItem, pass ? CutoverStatus.Pass : CutoverStatus.Fail, Invariant(
            $"new {@new.ErrorRate:P2} ({@new.Errors}/{@new.Requests}) {(pass ? "≤" : ">")} baseline {baseline:P2} ({from}) + tolerance {config.ErrorRateTolerance * 100:0.###} points"));
    }

    /// <summary>New window's p95 ≤ baseline (config, else the old window) × maxP95Ratio.</summary>
    public static CutoverItem Latency(SplitStatus status, CutoverConfig config)
    {
        var name = CutoverGate.LatencyItem(config);
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

    /// <summary>No webhook to the old stack since the last split change (none at all fails only when webhooks are expected).</summary>
    public static CutoverItem Webhooks(SplitStatus status, CutoverConfig config)
    {
        var counts = Invariant($"since the last split change: {status.WebhooksToNew} to the new stack, {status.WebhooksToOld} to the old");
        if (status.WebhooksToOld == 0 && status.WebhooksToNew == 0)
        {
            return config.ExpectWebhooks
                ? new(CutoverGate.WebhooksItem, CutoverStatus.Fail, $"no webhooks seen {counts[..counts.IndexOf(':', StringComparison.Ordinal)]}; expectWebhooks is true")
                : new(CutoverGate.WebhooksItem, CutoverStatus.NotApplicable, "no webhooks seen and expectWebhooks is false");
        }

        return status.WebhooksToOld == 0
            ? new(CutoverGate.WebhooksItem, CutoverStatus.Pass, counts)
            : new(CutoverGate.WebhooksItem, CutoverStatus.Fail, counts);
    }

    /// <summary>Old stack healthy and sent no request since the last split change.</summary>
    public static CutoverItem Standby(SplitStatus status, (bool Ok, string Detail) health)
    {
        var traffic = Invariant($"{status.RequestsToOld} requests to the old stack since the last split change ({status.Split.ChangedAt:u})");
        var pass = health.Ok && status.RequestsToOld == 0;
        return new(CutoverGate.StandbyItem, pass ? CutoverStatus.Pass : CutoverStatus.Fail, $"{health.Detail}; {traffic}");
    }

    /// <summary>Every conversation with memory on the old stack since <paramref name="since"/> also has memory on the new stack.</summary>
    public static CutoverItem Memory(IReadOnlySet<string> oldIds, IReadOnlySet<string> newIds, DateTimeOffset since)
    {
        var missing = oldIds.Where(id => !newIds.Contains(id)).Order(StringComparer.Ordinal).ToArray();
        var window = Invariant($"since {since:u}");
        if (missing.Length == 0)
        {
            return new(CutoverGate.MemoryItem, CutoverStatus.Pass, Invariant($"all {oldIds.Count} conversations with memory on the old stack {window} are on the new stack ({newIds.Count} there)"));
        }

        var listed = string.Join(", ", missing.Take(MaxListedMissing));
        var more = missing.Length > MaxListedMissing ? Invariant($" (+{missing.Length - MaxListedMissing} more)") : string.Empty;
        return new(CutoverGate.MemoryItem, CutoverStatus.Fail, Invariant($"{missing.Length} of {oldIds.Count} conversations with memory on the old stack {window} are missing on the new stack: {listed}{more}"));
    }

    /// <summary>The proxy's health and metrics and the new stack's health all answered 2xx.</summary>
    public static CutoverItem Monitoring(IReadOnlyList<(bool Ok, string Detail)> probes) =>
        new(CutoverGate.MonitoringItem, probes.All(c => c.Ok) ? CutoverStatus.Pass : CutoverStatus.Fail, string.Join("; ", probes.Select(c => c.Detail)));

    /// <summary>The name resolves, and only to expected addresses.</summary>
    public static CutoverItem Dns(CutoverDns config, IReadOnlyList<IPAddress> resolved)
    {
        var expected = config.ExpectedAddresses.Select(IPAddress.Parse).ToArray();
        var expectedText = string.Join(", ", expected.Select(a => a.ToString()));
        if (resolved.Count == 0)
        {
            return new(CutoverGate.DnsItem, CutoverStatus.Fail, $"{config.Name} resolves to nothing; expected {expectedText}");
        }

        var unexpected = resolved.Where(a => !expected.Contains(a)).ToArray();
        var resolvedText = string.Join(", ", resolved.Select(a => a.ToString()));
        return unexpected.Length == 0
            ? new(CutoverGate.DnsItem, CutoverStatus.Pass, $"{config.Name} → {resolvedText}; all expected ({expectedText})")
            : new(CutoverGate.DnsItem, CutoverStatus.Fail, $"{config.Name} → {resolvedText}; not the new stack: {string.Join(", ", unexpected.Select(a => a.ToString()))} (expected {expectedText})");
    }

    /// <summary>The certificate is valid (chain and host name), already valid, and valid for at least <paramref name="days"/> more days.</summary>
    public static CutoverItem Tls(Uri url, int days, TlsCertificateFacts? certificate, DateTimeOffset now)
    {
        var name = CutoverGate.TlsItem(days);
        if (certificate is null)
        {
            return new CutoverItem(name, CutoverStatus.Fail, $"{url.Host}:{url.Port} sent no certificate");
        }

        var left = certificate.NotAfter - now;
        var findings = new List<string>();
        if (certificate.Problems != System.Net.Security.SslPolicyErrors.None)
        {
            findings.Add($"not valid: {certificate.Problems}{(certificate.ChainProblems.Length > 0 ? $" ({certificate.ChainProblems})" : string.Empty)}");
        }

        if (certificate.NotBefore > now)
        {
            findings.Add(Invariant($"not valid before {certificate.NotBefore.UtcDateTime:yyyy-MM-dd HH:mm} UTC"));
        }

        if (left < TimeSpan.FromDays(days))
        {
            findings.Add(left <= TimeSpan.Zero ? "expired" : Invariant($"expires in {left.TotalDays:F1} days, less than {days}"));
        }

        var about = Invariant($"{certificate.Subject} for {url.Host}, valid until {certificate.NotAfter.UtcDateTime:yyyy-MM-dd HH:mm} UTC ({Math.Max(0, left.TotalDays):F0} days left)");
        return findings.Count == 0
            ? new CutoverItem(name, CutoverStatus.Pass, about + "; chain and host name ok")
            : new CutoverItem(name, CutoverStatus.Fail, about + ": " + string.Join("; ", findings));
    }

    private static string Duration(TimeSpan span) => span switch
    {
        { TotalDays: >= 1 } => Invariant($"{(int)span.TotalDays} d {span.Hours} h"),
        { TotalHours: >= 1 } => Invariant($"{(int)span.TotalHours} h {span.Minutes} min"),
        { TotalMinutes: >= 1 } => Invariant($"{(int)span.TotalMinutes} min {span.Seconds} s"),
        _ => Invariant($"{Math.Max(0, (int)span.TotalSeconds)} s"),
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
