using System.Xml.Linq;
using DualStack.Core.Model;
using DualStack.TestUtils;

namespace DualStack.Core.Tests;

public sealed class ArchitectureTests
{
    private const string CorePrefix = "DualStack.Core.";

    // Core's folders from the bottom up, as the README's Layout draws them. A folder may use folders in lower layers;
    // folders that share a layer may use each other only one way (the cycle check below).
    private static readonly string[][] Layers =
    [
        ["Model"],
        ["Judgement", "Config", "Postgres", "Privacy"],
        ["Comparison", "Stacks"],
        ["Scenarios", "Synthetic", "Results"],
        ["Replay"],
        ["Verdicts"],
        ["Reports", "Runs"],
        ["Memory", "Capture", "Gates"],
        ["Routing"],
        ["Drills", "Cutover"],
        ["Schemas"],
    ];

    [Test]
    public void CoreAssembly_ReferencedAssemblies_IncludeNoAspNetCore()
    {
        var referenced = typeof(Conversation).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? string.Empty).ToArray();

        Assert.That(referenced, Is.Not.Empty);
        Assert.That(referenced.Where(n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public void CoreFolders_EveryNamespace_HasALayer()
    {
        var layered = Layers.SelectMany(l => l).ToHashSet(StringComparer.Ordinal);

        Assert.That(CoreFolders().Where(f => !layered.Contains(f)), Is.Empty, "a new Core folder needs a place in Layers and in the README's Layout");
    }

    [Test]
    public void CoreFolders_Dependencies_PointOnlyDownTheLayers()
    {
        var graph = FolderGraph();
        var layer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Layers.Length; i++)
        {
            foreach (var folder in Layers[i])
            {
                layer[folder] = i;
            }
        }

        foreach (var (from, targets) in graph.OrderBy(p => layer.GetValueOrDefault(p.Key, -1)))
        {
            TestContext.Out.WriteLine($"{from} -> {string.Join(", ", targets.Order(StringComparer.Ordinal))}");
        }

        var backArrows = graph
            .SelectMany(p => p.Value.Select(to => (From: p.Key, To: to)))
            .Where(e => layer.TryGetValue(e.From, out var f) && layer.TryGetValue(e.To, out var t) && t > f)
            .Select(e => $"{e.From} -> {e.To}")
            .ToArray();

        Assert.That(backArrows, Is.Empty, "a folder uses a folder above it");
    }

    [Test]
    public void CoreFolders_Dependencies_HaveNoCycle()
    {
        var graph = FolderGraph();

        Assert.That(FindCycle(graph), Is.Null);
    }

    [Test]
    public void IlTypeUses_TypeUsedOnlyInsideAnAsyncLambda_IsSeen()
    {
        // The folder graph is only as good as the reader: a use hidden in a lambda's async state machine must count.
        var uses = IlTypeUses.Read(typeof(ArchitectureTests).Assembly.Location);

        Assert.That(uses[typeof(UsesInsideAsyncLambda).FullName!], Does.Contain(typeof(UsedOnlyInsideAsyncLambda).FullName));
    }

    [Test]
    public void FindCycle_TwoFoldersUsingEachOther_ReportsTheCycle()
    {
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal)
        {
            ["Gates"] = ["Routing"],
            ["Routing"] = ["Model", "Gates"],
            ["Model"] = [],
        };

        Assert.That(FindCycle(graph), Is.EqualTo("Gates -> Routing -> Gates"));
    }

    [Test]
    public void Projects_References_FollowTheHouseRules()
    {
        var references = ProjectReferences();

        Assert.Multiple(() =>
        {
            Assert.That(references["DualStack.SampleAgent"], Is.Empty, "the sample agent stands in for somebody else's agent");
            Assert.That(Reachable(references, "DualStack.Core"), Is.Empty, "Core knows no host");
            Assert.That(Reachable(references, "DualStack.Proxy"), Does.Not.Contain("DualStack.Cli"));
            Assert.That(Reachable(references, "DualStack.Semantic"), Is.EquivalentTo(new[] { "DualStack.Core" }));
        });
    }

    private static IEnumerable<string> CoreFolders() =>
        typeof(Conversation).Assembly.GetTypes()
            .Select(t => Folder(t.Namespace))
            .OfType<string>()
            .Distinct(StringComparer.Ordinal);

    // The first segment after DualStack.Core. names the folder: Stacks.OpenClaw belongs to Stacks.
    private static string? Folder(string? ns) =>
        ns is not null && ns.StartsWith(CorePrefix, StringComparison.Ordinal) ? ns[CorePrefix.Length..].Split('.')[0] : null;

    // Which Core folders each folder's types use, read from the IL (signatures and method bodies, including the
    // compiler's closures and state machines: TestUtils' IlTypeUses), so a fully qualified name or a lambda cannot hide
    // an arrow.
    private static readonly Lazy<Dictionary<string, HashSet<string>>> CoreGraph = new(ReadFolderGraph);

    private static Dictionary<string, HashSet<string>> FolderGraph() => CoreGraph.Value;

    private static Dictionary<string, HashSet<string>> ReadFolderGraph()
    {
        var graph = CoreFolders().ToDictionary(f => f, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        var uses = IlTypeUses.Read(typeof(Conversation).Assembly.Location);
        Assert.That(uses.Keys, Does.Contain(typeof(Conversation).FullName), "Core's types were read");
        foreach (var (type, used) in uses)
        {
            if (Folder(Namespace(type)) is not { } from)
            {
                continue;
            }

            foreach (var to in used.Select(u => Folder(Namespace(u))).OfType<string>())
            {
                if (to != from)
                {
                    graph[from].Add(to);
                }
            }
        }

        return graph;
    }

    private static string Namespace(string fullName) => fullName.LastIndexOf('.') is var dot and > 0 ? fullName[..dot] : string.Empty;

    private static string? FindCycle(IReadOnlyDictionary<string, HashSet<string>> graph)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();

        string? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph.GetValueOrDefault(node, []).Order(StringComparer.Ordinal))
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    return string.Join(" -> ", path.Skip(path.IndexOf(next)).Append(next));
                }

                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }

        foreach (var node in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { } cycle)
            {
                return cycle;
            }
        }

        return null;
    }

    private static Dictionary<string, string[]> ProjectReferences()
    {
        var projects = Directory.GetFiles(RepoPaths.Resolve("src"), "*.csproj", SearchOption.AllDirectories);
        Assert.That(projects, Is.Not.Empty);
        return projects.ToDictionary(
            p => Path.GetFileNameWithoutExtension(p),
            p => XDocument.Load(p).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))
                .ToArray(),
            StringComparer.Ordinal);
    }

    private static HashSet<string> Reachable(IReadOnlyDictionary<string, string[]> references, string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>(references[project]);
        while (todo.TryPop(out var next))
        {
            if (seen.Add(next))
            {
                foreach (var further in references.GetValueOrDefault(next, []))
                {
                    todo.Push(further);
                }
            }
        }

        return seen;
    }
}

internal static class UsesInsideAsyncLambda
{
    public static Func<Task<string>> Action() => async () =>
    {
        await Task.Yield();
        return UsedOnlyInsideAsyncLambda.Name();
    };
}

internal static class UsedOnlyInsideAsyncLambda
{
    public static string Name() => "used";
}
