using System.Net.Http.Headers;
using DualStack.Core.Config;
using DualStack.Core.Gates;
using DualStack.Core.Model;
using Refit;

namespace DualStack.Core.Routing;

/// <summary>
/// The proxy's split admin API (bearer token required). Every call answers with the full <see cref="SplitStatus"/>
/// after the change.
/// </summary>
public interface ISplitAdminApi
{
    /// <summary>Current split, windows, gates, ramp and recent history.</summary>
    [Get("/admin/api/state")]
    Task<SplitStatus> GetStateAsync(CancellationToken cancellationToken);

    /// <summary>Sets the percentage for the new stack (clears a rollback).</summary>
    [Post("/admin/api/percent")]
    Task<SplitStatus> SetPercentAsync([Body] SetPercentRequest body, CancellationToken cancellationToken);

    /// <summary>Moves the ramp to its next step, whatever the gates say.</summary>
    [Post("/admin/api/advance")]
    Task<SplitStatus> AdvanceAsync([Body] ReasonRequest body, CancellationToken cancellationToken);

    /// <summary>Sends all traffic to the old stack at once.</summary>
    [Post("/admin/api/rollback")]
    Task<SplitStatus> RollbackAsync([Body] ReasonRequest body, CancellationToken cancellationToken);

    /// <summary>Sends every new conversation to the new stack (100 %).</summary>
    [Post("/admin/api/promote")]
    Task<SplitStatus> PromoteAsync([Body] ReasonRequest body, CancellationToken cancellationToken);
}

/// <summary>Everything the admin API and dashboard show about the split.</summary>
public sealed record SplitStatus
{
    /// <summary>The split now.</summary>
    public required SplitSnapshot Split { get; init; }

    /// <summary>Old stack's sliding window; empty by default.</summary>
    public WindowStats Old { get; init; } = WindowStats.Empty;

    /// <summary>New stack's sliding window; empty by default.</summary>
    public WindowStats New { get; init; } = WindowStats.Empty;

    /// <summary>Gate results on those windows; empty by default.</summary>
    public IReadOnlyList<GateResult> Gates { get; init; } = [];

    /// <summary>The automatic ramp; null when the proxy runs without a ramp plan.</summary>
    public RampStatus? Ramp { get; init; }

    /// <summary>Recent audit entries, oldest first; empty by default.</summary>
    public IReadOnlyList<AuditEntry> History { get; init; } = [];

    /// <summary>Webhook calls routed to the old stack since the last split change (<see cref="SplitSnapshot.ChangedAt"/>).</summary>
    public long WebhooksToOld { get; init; }

    /// <summary>Webhook calls routed to the new stack since the last split change.</summary>
    public long WebhooksToNew { get; init; }

    /// <summary>
    /// Requests (turns and webhooks) routed to the old stack since the last split change: after a promotion, 0 means no
    /// pinned conversation still uses the old stack.
    /// </summary>
    public long RequestsToOld { get; init; }

    /// <summary>Requests routed to the new stack since the last split change.</summary>
    public long RequestsToNew { get; init; }
}

/// <summary>Body of <see cref="ISplitAdminApi.SetPercentAsync"/>.</summary>
/// <param name="Percent">0–100.</param>
/// <param name="Reason">Why, for the audit log; optional.</param>
public sealed record SetPercentRequest(double Percent, string? Reason);

/// <summary>Body of the advance, rollback and promote calls.</summary>
/// <param name="Reason">Why, for the audit log; optional.</param>
public sealed record ReasonRequest(string? Reason);

/// <summary>Creates <see cref="ISplitAdminApi"/> clients and finds their token.</summary>
public static class SplitAdminClient
{
    private static readonly RefitSettings Settings = new(new SystemTextJsonContentSerializer(DualStackJson.Options));

    /// <summary>A client for the proxy at <paramref name="proxy"/> sending <c>Authorization: Bearer</c> <paramref name="token"/>; 30 s timeout.</summary>
    public static ISplitAdminApi Create(Uri proxy, string token)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        var http = new HttpClient { BaseAddress = proxy, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return RestService.For<ISplitAdminApi>(http, Settings);
    }

    /// <summary>
    /// The admin token from the environment variable named <paramref name="tokenEnv"/>, else from the file
    /// <paramref name="tokenFile"/> (trimmed). Throws <see cref="ConfigException"/> naming the variable or file that is
    /// missing or empty; never includes the token in a message.
    /// </summary>
    public static string ResolveToken(string? tokenEnv, string? tokenFile, Func<string, string?> env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var errors = new List<string>();
        if (!string.IsNullOrWhiteSpace(tokenEnv))
        {
            if (env(tokenEnv)?.Trim() is { Length: > 0 } fromEnv)
            {
                return fromEnv;
            }

            errors.Add($"admin token: environment variable '{tokenEnv}' is not set or empty");
        }

        if (!string.IsNullOrWhiteSpace(tokenFile))
        {
            try
            {
                if (File.ReadAllText(tokenFile).Trim() is { Length: > 0 } fromFile)
                {
                    return fromFile;
                }

                errors.Add($"admin token: file '{tokenFile}' is empty");
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                errors.Add($"admin token: file '{tokenFile}' does not exist");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                errors.Add($"admin token: cannot read file '{tokenFile}': {ex.Message}");
            }
        }

        if (errors.Count == 0)
        {
            errors.Add("admin token: none given; name an environment variable (token env) or a file (token file) that holds it");
        }

        throw new ConfigException(errors);
    }
}
