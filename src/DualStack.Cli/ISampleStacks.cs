using DualStack.Core.Drills;

namespace DualStack.Cli;

/// <summary>
/// The sample agent stacks this tool runs in-process: for <c>dualstack demo</c>, for <c>verify</c> when no stack has a
/// URL and for <c>drill</c> when its config names none. Its one implementation lives in <c>Embedded/</c>, the only CLI
/// code that knows the sample agent and its WireMock sandboxes; <c>Program.cs</c> (the composition root) registers it.
/// </summary>
internal interface ISampleStacks
{
    /// <summary>
    /// The demo scenario (<c>scenarios/demo.json</c>) of the checkout, or the copy published beside the tool; null when
    /// neither is found.
    /// </summary>
    string? FindDemoScenario();

    /// <summary>
    /// Starts the old stack (v1, deterministic) and the new stack (v2, nondeterministic, with <paramref name="newFaults"/>
    /// planted), each with its own integration sandbox, on 127.0.0.1 with free ports. Throws
    /// <see cref="ArgumentException"/> naming an unknown fault knob.
    /// </summary>
    Task<IRunningSampleStacks> StartAsync(IReadOnlyList<string> newFaults, CancellationToken cancellationToken);

    /// <summary>
    /// Runs a rollback drill: against the split proxy and stacks the config names (authenticated with
    /// <paramref name="adminToken"/>), or, when it names no URLs, against the sample stacks behind an in-process split
    /// proxy. <paramref name="merge"/> merges the new stack's memory (written since the given time) into the old one.
    /// </summary>
    Task<DrillReport> RunDrillAsync(DrillConfig config, Func<Uri, Uri, DateTimeOffset, CancellationToken, Task<int>> merge, string? adminToken, IProgress<string>? progress, CancellationToken cancellationToken);
}

/// <summary>Sample stacks started by <see cref="ISampleStacks.StartAsync"/>; disposing stops them and their sandboxes.</summary>
internal interface IRunningSampleStacks : IAsyncDisposable
{
    /// <summary>The old stack's base address.</summary>
    Uri Old { get; }

    /// <summary>The new stack's base address.</summary>
    Uri New { get; }

    /// <summary>What runs where, for the console: <c>old = sample agent v1 at URL; new = …</c>.</summary>
    string Description { get; }
}
