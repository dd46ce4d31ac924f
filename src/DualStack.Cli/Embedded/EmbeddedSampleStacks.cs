using DualStack.Core.Drills;
using DualStack.Sandbox;

namespace DualStack.Cli.Embedded;

/// <summary><see cref="ISampleStacks"/> over <c>DualStack.Sandbox</c>: the sample agent and its WireMock.Net sandboxes in this process.</summary>
internal sealed class EmbeddedSampleStacks : ISampleStacks
{
    /// <summary>The demo scenario, relative to the checkout or to the tool's folder.</summary>
    public static readonly string DemoScenario = Path.Combine("scenarios", "demo.json");

    public string? FindDemoScenario() => EmbeddedStacks.FindRepoFile(DemoScenario);

    public async Task<IRunningSampleStacks> StartAsync(IReadOnlyList<string> newFaults, CancellationToken cancellationToken) =>
        new Running(await EmbeddedStacks.StartAsync(new EmbeddedStackOptions { NewFaults = newFaults }, cancellationToken).ConfigureAwait(false), newFaults);

    public Task<DrillReport> RunDrillAsync(DrillConfig config, Func<Uri, Uri, DateTimeOffset, CancellationToken, Task<int>> merge, string? adminToken, IProgress<string>? progress, CancellationToken cancellationToken) =>
        EmbeddedDrill.RunAsync(config, merge, adminToken, progress, cancellationToken);

    private sealed class Running(EmbeddedStacks stacks, IReadOnlyList<string> faults) : IRunningSampleStacks
    {
        public Uri Old => stacks.OldServer.BaseAddress;

        public Uri New => stacks.NewServer.BaseAddress;

        public string Description =>
            $"old = sample agent v1 at {Old.AbsoluteUri}; new = sample agent v2 (nondeterministic{(faults.Count > 0 ? ", faults: " + string.Join(", ", faults) : string.Empty)}) at {New.AbsoluteUri}";

        public ValueTask DisposeAsync() => stacks.DisposeAsync();
    }
}
