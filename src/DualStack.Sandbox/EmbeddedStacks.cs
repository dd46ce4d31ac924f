using DualStack.SampleAgent;

namespace DualStack.Sandbox;

/// <summary>What the embedded new stack runs as.</summary>
public sealed record EmbeddedStackOptions
{
    /// <summary>Old stack profile; default v1.</summary>
    public string OldProfile { get; init; } = "v1";

    /// <summary>Old stack answers with random phrasing, ids and timestamps; default false.</summary>
    public bool OldNondeterministic { get; init; }

    /// <summary>New stack profile; default v2.</summary>
    public string NewProfile { get; init; } = "v2";

    /// <summary>New stack answers with random phrasing, ids and timestamps; default true.</summary>
    public bool NewNondeterministic { get; init; } = true;

    /// <summary>Fault knobs on the new stack; none by default.</summary>
    public IReadOnlyList<string> NewFaults { get; init; } = [];

    /// <summary>Fixtures for both sandboxes; default: built-in data equal to scenarios/sandbox/fixtures.json.</summary>
    public SandboxFixtures? Fixtures { get; init; }
}

/// <summary>
/// The embedded default: two sample agent stacks (old, new) on loopback, each with its own integration sandbox, so
/// the new stack's side effects never reach the old stack's systems (or any real system).
/// </summary>
public sealed class EmbeddedStacks : IAsyncDisposable
{
    private EmbeddedStacks(SampleAgentServer oldServer, SampleAgentServer newServer, IntegrationSandbox oldSandbox, IntegrationSandbox newSandbox)
    {
        OldServer = oldServer;
        NewServer = newServer;
        OldSandbox = oldSandbox;
        NewSandbox = newSandbox;
    }

    /// <summary>The old stack.</summary>
    public SampleAgentServer OldServer { get; }

    /// <summary>The new stack.</summary>
    public SampleAgentServer NewServer { get; }

    /// <summary>The old stack's integrations.</summary>
    public IntegrationSandbox OldSandbox { get; }

    /// <summary>The new stack's integrations.</summary>
    public IntegrationSandbox NewSandbox { get; }

    /// <summary>Starts both sandboxes and both stacks on 127.0.0.1 with free ports.</summary>
    public static async Task<EmbeddedStacks> StartAsync(EmbeddedStackOptions options, CancellationToken cancellationToken)
    {
        var fixtures = options.Fixtures ?? DefaultFixtures.Value;
        var oldSandbox = IntegrationSandbox.Start(fixtures);
        var newSandbox = IntegrationSandbox.Start(fixtures);
        SampleAgentServer? oldServer = null;
        try
        {
            oldServer = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = options.OldProfile, Nondeterministic = options.OldNondeterministic, IntegrationsBaseUrl = oldSandbox.BaseAddress }, cancellationToken).ConfigureAwait(false);
            var newServer = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = options.NewProfile, Nondeterministic = options.NewNondeterministic, Faults = options.NewFaults, IntegrationsBaseUrl = newSandbox.BaseAddress }, cancellationToken).ConfigureAwait(false);
            return new EmbeddedStacks(oldServer, newServer, oldSandbox, newSandbox);
        }
        catch
        {
            if (oldServer is not null)
            {
                await oldServer.DisposeAsync().ConfigureAwait(false);
            }

            oldSandbox.Dispose();
            newSandbox.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await NewServer.DisposeAsync().ConfigureAwait(false);
        await OldServer.DisposeAsync().ConfigureAwait(false);
        NewSandbox.Dispose();
        OldSandbox.Dispose();
    }

    private static readonly Lazy<SandboxFixtures> DefaultFixtures = new(() =>
    {
        var path = FindRepoFile(Path.Combine("scenarios", "sandbox", "fixtures.json"));
        return path is null ? new SandboxFixtures() : SandboxFixtures.Load(path);
    });

    /// <summary>Finds a file of the repository by walking up from the working directory and the binaries' folder.</summary>
    public static string? FindRepoFile(string relativePath)
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relativePath);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
