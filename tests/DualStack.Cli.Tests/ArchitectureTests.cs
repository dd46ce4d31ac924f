using DualStack.TestUtils;

namespace DualStack.Cli.Tests;

/// <summary>
/// The CLI's rules about the sample agent, read from the compiled IL: only <c>Embedded/</c> uses the sample agent and
/// its sandboxes, and only the composition root (<c>Program</c>) uses <c>Embedded/</c>; every other command reaches the
/// sample stacks through <see cref="ISampleStacks"/>.
/// </summary>
public sealed class ArchitectureTests
{
    private const string Embedded = "DualStack.Cli.Embedded";

    private static readonly string[] SampleAgent = ["DualStack.Sandbox", "DualStack.SampleAgent"];

    // Read from the IL with TestUtils' IlTypeUses, which sees inside closures and state machines (NetArchTest does not).
    private static readonly Lazy<Dictionary<string, HashSet<string>>> Uses = new(ReadUses);

    [Test]
    public void CliTypes_OutsideEmbedded_DoNotUseTheSampleAgentOrItsSandbox()
    {
        var offenders = Uses.Value
            .Where(u => !InNamespace(u.Key, Embedded))
            .SelectMany(u => u.Value.Where(used => SampleAgent.Any(ns => InNamespace(used, ns))).Select(used => $"{u.Key} uses {used}"));

        Assert.That(offenders, Is.Empty, "only src/DualStack.Cli/Embedded/ may use DualStack.Sandbox or DualStack.SampleAgent; go through ISampleStacks");
    }

    [Test]
    public void CliTypes_UsingTheSampleAgent_AreFoundInsideActionsAndAllLiveInEmbedded()
    {
        // The check above sees real uses, also inside a command's action: the sandbox command starts its sandbox there.
        var users = Uses.Value.Where(u => u.Value.Any(used => SampleAgent.Any(ns => InNamespace(used, ns)))).Select(u => u.Key).ToArray();

        Assert.That(users, Does.Contain(Embedded + ".EmbeddedSampleStacks").And.Contain(Embedded + ".SandboxCommand"));
        Assert.That(users.Where(u => !InNamespace(u, Embedded)), Is.Empty);
    }

    [Test]
    public void CliTypes_OutsideTheCompositionRoot_DoNotUseEmbedded()
    {
        var offenders = Uses.Value
            .Where(u => !InNamespace(u.Key, Embedded) && u.Key != "Program")
            .SelectMany(u => u.Value.Where(used => InNamespace(used, Embedded)).Select(used => $"{u.Key} uses {used}"));

        Assert.That(Uses.Value["Program"], Does.Contain(Embedded + ".EmbeddedServices"), "the composition root registers Embedded/");
        Assert.That(offenders, Is.Empty, "commands get the sample stacks as ISampleStacks from the container that Program.CreateServices builds");
    }

    [Test]
    public void CompositionRoot_BuildsTheWholeCommandTree()
    {
        using var services = Program.CreateServices();

        var root = CliApp.BuildRoot(services);

        Assert.That(root.Subcommands.Select(c => c.Name), Is.EqualTo(new[]
        {
            "stacks", "synth", "verify", "demo", "worker", "report", "capture", "captures", "sandbox", "shadow", "split", "gate", "memory", "drill", "schema",
        }));
    }

    private static bool InNamespace(string typeName, string ns) =>
        typeName.StartsWith(ns + ".", StringComparison.Ordinal);

    private static Dictionary<string, HashSet<string>> ReadUses()
    {
        var uses = IlTypeUses.Read(typeof(CliApp).Assembly.Location);
        Assert.That(uses.Keys, Does.Contain(typeof(CliApp).FullName), "the CLI's types were read");
        return uses;
    }
}
