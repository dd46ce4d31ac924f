using System.Globalization;
using System.Net;
using System.Text.Json.Serialization;
using DualStack.Core.Config;
using DualStack.Core.Judgement;
using DualStack.Core.Results;

namespace DualStack.Core.Cutover;

/// <summary>
/// What the cutover gate checks before the old stack is switched off (scenarios/cutover.json). URLs and
/// <see cref="WindowStart"/> are required; everything else has a default.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CutoverConfig
{
    /// <summary>JSON schema reference for editors (<c>./cutover.schema.json</c>); ignored.</summary>
    [JsonPropertyName("$schema")]
    public string? Schema { get; init; }

    /// <summary>Base URL of the DualStack proxy (for /healthz and /metrics); required.</summary>
    public string ProxyUrl { get; init; } = string.Empty;

    /// <summary>Base URL of the old stack (agent contract v1); required.</summary>
    public string OldStackUrl { get; init; } = string.Empty;

    /// <summary>Base URL of the new stack (agent contract v1); required. Its certificate is checked when it is https.</summary>
    public string NewStackUrl { get; init; } = string.Empty;

    /// <summary>How long the new stack must have served 100 % since the last split change, in seconds; default 86,400 (24 h).</summary>
    public double RequiredAtFullSeconds { get; init; } = 86_400;

    /// <summary>The old stack's usual error rate (0–1); default none: the old window's rate is used, which needs old traffic.</summary>
    public double? BaselineErrorRate { get; init; }

    /// <summary>How far the new error rate may exceed the baseline (0–1); default 0.001 (0.1 point).</summary>
    public double ErrorRateTolerance { get; init; } = 0.001;

    /// <summary>The old stack's usual p95 latency in ms; default none: the old window's p95 is used, which needs old traffic.</summary>
    public double? BaselineP95Ms { get; init; }

    /// <summary>The new p95 may be at most this many times the baseline; default 1.10 (within 10 %).</summary>
    public double MaxP95Ratio { get; init; } = 1.10;

    /// <summary>Whether the agent receives webhooks at all; default true. When false and none were seen, the webhook check does not apply.</summary>
    public bool ExpectWebhooks { get; init; } = true;

    /// <summary>Start of the migration window: every conversation with memory written since then must be on the new stack; required.</summary>
    public DateTimeOffset? WindowStart { get; init; }

    /// <summary>DNS name that must resolve to the new stack; default none (the check does not apply).</summary>
    public CutoverDns? Dns { get; init; }

    /// <summary>The new stack's certificate must stay valid at least this many days; default 14.</summary>
    public int TlsMinDaysValid { get; init; } = 14;

    /// <summary>Timeout of each HTTP call, connection and lookup, in seconds; default 10.</summary>
    public double TimeoutSeconds { get; init; } = 10;

    /// <summary>A verification run the gate must accept under the run policy; default none (the check does not apply).</summary>
    public CutoverVerification? Verification { get; init; }
}

/// <summary>A finished verification run (its results.json) judged with the same policy as <c>verify</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CutoverVerification
{
    /// <summary>Path of the run's results.json (or its run folder), relative to the config file; required.</summary>
    public string Results { get; init; } = string.Empty;

    /// <summary>Lowest regression severity that fails the gate: minor, major or critical; default major.</summary>
    public string FailOn { get; init; } = "major";

    /// <summary>Share (0–1) of errored conversations tolerated; default 0. A run that judged nothing never passes.</summary>
    public double MaxErrors { get; init; }

    /// <summary>The run policy these settings describe (call after validation).</summary>
    public RunPolicy Policy => new(RunPolicy.TryParseFailOn(FailOn, out var failOn) ? failOn : Severity.Major, MaxErrors);
}

/// <summary>A DNS name and the addresses of the new stack it must resolve to.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CutoverDns
{
    /// <summary>Host name to resolve; required.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>IP addresses of the new stack; every resolved address must be one of them; at least one required.</summary>
    public IReadOnlyList<string> ExpectedAddresses { get; init; } = [];
}

/// <summary>Loads and validates cutover configs, collecting every error.</summary>
public static class CutoverConfigLoader
{
    /// <summary>Loads <paramref name="path"/>; throws <see cref="ConfigException"/> with every problem (malformed JSON with its line).</summary>
    public static CutoverConfig Load(string path)
    {
        var errors = new List<string>();
        var display = ConfigFile.Display(path);
        var config = ConfigFile.Read<CutoverConfig>(path, display, errors);
        if (config is not null)
        {
            errors.AddRange(Validate(config, display));
        }

        if (errors.Count > 0 || config is null)
        {
            throw new ConfigException(errors);
        }

        // The results path is relative to the config file, like a scenario's includes.
        return config.Verification is { } verification
            ? config with { Verification = verification with { Results = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", verification.Results)) } }
            : config;
    }

    /// <summary>Every problem of <paramref name="config"/>, each prefixed with <paramref name="source"/>; empty when valid.</summary>
    public static IReadOnlyList<string> Validate(CutoverConfig config, string source)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = new List<string>();
        void Add(FormattableString message) => errors.Add(source + ": " + message.ToString(CultureInfo.InvariantCulture));

        CheckUrl(config.ProxyUrl, "proxyUrl");
        CheckUrl(config.OldStackUrl, "oldStackUrl");
        CheckUrl(config.NewStackUrl, "newStackUrl");

        if (!(config.RequiredAtFullSeconds >= 0) || double.IsInfinity(config.RequiredAtFullSeconds))
        {
            Add($"requiredAtFullSeconds: {config.RequiredAtFullSeconds} must not be negative");
        }

        if (config.BaselineErrorRate is { } baselineRate && !(baselineRate is >= 0 and <= 1))
        {
            Add($"baselineErrorRate: {baselineRate} must be between 0 and 1 (a fraction, 0.005 = 0.5 %)");
        }

        if (!(config.ErrorRateTolerance is >= 0 and < 1))
        {
            Add($"errorRateTolerance: {config.ErrorRateTolerance} must be at least 0 and below 1 (a fraction, 0.001 = 0.1 point)");
        }

        if (config.BaselineP95Ms is { } baselineP95 && (!(baselineP95 > 0) || double.IsInfinity(baselineP95)))
        {
            Add($"baselineP95Ms: {baselineP95} must be positive");
        }

        if (!(config.MaxP95Ratio >= 1) || double.IsInfinity(config.MaxP95Ratio))
        {
            Add($"maxP95Ratio: {config.MaxP95Ratio} must be at least 1");
        }

        if (config.WindowStart is null)
        {
            Add($"windowStart: is missing; give the start of the migration window, e.g. \"2026-12-01T00:00:00Z\"");
        }

        if (config.Dns is { } dns)
        {
            if (string.IsNullOrWhiteSpace(dns.Name) || Uri.CheckHostName(dns.Name) is not (UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6))
            {
                Add($"dns.name: '{dns.Name}' is not a host name");
            }

            if (dns.ExpectedAddresses is null || dns.ExpectedAddresses.Count == 0)
            {
                Add($"dns.expectedAddresses: is empty; list the new stack's IP addresses");
            }
            else
            {
                for (var i = 0; i < dns.ExpectedAddresses.Count; i++)
                {
                    if (!IPAddress.TryParse(dns.ExpectedAddresses[i] ?? string.Empty, out _))
                    {
                        Add($"dns.expectedAddresses[{i}]: '{dns.ExpectedAddresses[i]}' is not an IP address");
                    }
                }
            }
        }

        if (config.Verification is { } verification)
        {
            if (string.IsNullOrWhiteSpace(verification.Results))
            {
                Add($"verification.results: is missing; give the results.json of the verification run");
            }

            if (!RunPolicy.TryParseFailOn(verification.FailOn, out _))
            {
                Add($"verification.failOn: '{verification.FailOn}' is not one of {RunPolicy.FailOnValues}");
            }

            if (!RunPolicy.IsValidMaxErrors(verification.MaxErrors))
            {
                Add($"verification.maxErrors: {verification.MaxErrors} must be between 0 and 1 (a share, 0.05 = 5 % of conversations)");
            }
        }

        if (config.TlsMinDaysValid < 0)
        {
            Add($"tlsMinDaysValid: {config.TlsMinDaysValid} must not be negative");
        }

        if (!(config.TimeoutSeconds is > 0 and <= 300))
        {
            Add($"timeoutSeconds: {config.TimeoutSeconds} must be above 0 and at most 300");
        }

        return errors;

        void CheckUrl(string? url, string field)
        {
            if (string.IsNullOrWhiteSpace(url))
            {
                Add($"{field}: is missing");
            }
            else if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                Add($"{field}: '{url}' is not an absolute http(s) URL");
            }
            else if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                Add($"{field}: credentials in the URL are not allowed");
            }
        }
    }
}
