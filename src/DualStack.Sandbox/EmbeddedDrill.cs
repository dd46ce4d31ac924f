using System.Security.Cryptography;
using DualStack.Core.Drills;
using DualStack.Core.Gates;
using DualStack.Core.Routing;
using DualStack.Proxy;

namespace DualStack.Sandbox;

/// <summary>Runs a rollback drill, starting the embedded sample stacks behind an embedded split proxy when the config names no URLs.</summary>
public static class EmbeddedDrill
{
    /// <summary>
    /// Runs <paramref name="config"/>. <paramref name="merge"/> merges memory from the new stack into the old one
    /// (written since the given time) and returns the number of entries merged. With URLs in the config,
    /// <paramref name="adminToken"/> authenticates against that proxy.
    /// </summary>
    public static async Task<DrillReport> RunAsync(DrillConfig config, Func<Uri, Uri, DateTimeOffset, CancellationToken, Task<int>> merge, string? adminToken, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(config.ProxyUrl))
        {
            var proxyUri = new Uri(config.ProxyUrl);
            var targets = new DrillTargets(proxyUri, new Uri(config.OldStackUrl!), new Uri(config.NewStackUrl!), SplitAdminClient.Create(proxyUri, adminToken ?? throw new ArgumentException("a drill against a running proxy needs its admin token")))
            {
                FaultUrl = string.IsNullOrEmpty(config.FaultUrl) ? null : new Uri(config.FaultUrl),
            };
            return await DrillRunner.RunAsync(config, targets, (since, ct) => merge(targets.New, targets.Old, since, ct), null, progress, cancellationToken).ConfigureAwait(false);
        }

        await using var stacks = await EmbeddedStacks.StartAsync(new EmbeddedStackOptions(), cancellationToken).ConfigureAwait(false);
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        await using var proxy = await ProxyServer.StartAsync(
            new ProxyOptions
            {
                Old = stacks.OldServer.BaseAddress,
                New = stacks.NewServer.BaseAddress,
                Split = new SplitSettings
                {
                    AdminToken = token,
                    // A short window for the dashboard; the (sequential) gates judge everything since the start.
                    WindowSeconds = 10,
                    // The documented defaults: sequential gates, confidence 0.99, no slack in milliseconds.
                    Gates = new GateConfig(),
                    TickInterval = TimeSpan.FromMilliseconds(200),
                },
            },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        progress?.Report($"embedded: old {stacks.OldServer.BaseAddress}, new {stacks.NewServer.BaseAddress}, split proxy {proxy.BaseAddress}");
        var embeddedTargets = new DrillTargets(proxy.BaseAddress, stacks.OldServer.BaseAddress, stacks.NewServer.BaseAddress, SplitAdminClient.Create(proxy.BaseAddress, token))
        {
            // The sample agent's own fault endpoint: only this composition root knows it.
            FaultUrl = new Uri(stacks.NewServer.BaseAddress, "v1/admin/faults"),
        };
        return await DrillRunner.RunAsync(config, embeddedTargets, (since, ct) => merge(embeddedTargets.New, embeddedTargets.Old, since, ct), null, progress, cancellationToken).ConfigureAwait(false);
    }
}
