using System.Globalization;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Results;
using DualStack.Core.Scenarios;
using DualStack.Core.Stacks;
using DualStack.Core.Synthetic;
using DualStack.TestUtils;

namespace DualStack.Verification;

/// <summary>
/// The verification run as configured by runsettings.xml TestRunParameters (override any with
/// <c>-- 'TestRunParameters.Parameter(name="newStack", value="http://…")'</c>). Empty stack URLs = embedded sample stacks.
/// </summary>
internal sealed record VerificationSettings
{
    public string? OldStack { get; init; }
    public string? NewStack { get; init; }
    public AdapterKind Adapter { get; init; } = AdapterKind.Native;
    public IReadOnlyList<string> Scenarios { get; init; } = ["scenarios/demo.json"];
    public string ReportsDir { get; init; } = "reports";
    public int Seed { get; init; } = 42;
    public int? SyntheticCount { get; init; }
    public double? SemanticThreshold { get; init; }
    public bool Lexical { get; init; }
    public RunPolicy Policy { get; init; } = RunPolicy.Default;

    public bool Embedded => string.IsNullOrWhiteSpace(OldStack) && string.IsNullOrWhiteSpace(NewStack);

    public static VerificationSettings FromTestParameters()
    {
        var p = TestContext.Parameters;
        string? Get(string name) => p.Get(name) is { Length: > 0 } value ? value : null;
        var adapter = Get("adapter") ?? "native";
        return new VerificationSettings
        {
            OldStack = Get("oldStack"),
            NewStack = Get("newStack"),
            Adapter = Enum.TryParse<AdapterKind>(adapter, ignoreCase: true, out var kind) ? kind : throw new ArgumentException($"runsettings: adapter '{adapter}' is not native or openai"),
            Scenarios = (Get("scenarios") ?? "scenarios/demo.json").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            ReportsDir = Get("reportsDir") ?? "reports",
            Seed = int.Parse(Get("seed") ?? "42", CultureInfo.InvariantCulture),
            SyntheticCount = Get("syntheticCount") is { } count ? int.Parse(count, CultureInfo.InvariantCulture) : null,
            SemanticThreshold = Get("semanticThreshold") is { } threshold ? double.Parse(threshold, CultureInfo.InvariantCulture) : null,
            Lexical = bool.TryParse(Get("lexical"), out var lexical) && lexical,
            Policy = ReadPolicy(Get("failOn"), Get("maxErrors")),
        };
    }

    /// <summary>The run policy from <c>failOn</c> (default major) and <c>maxErrors</c> (default 0); a bad value names the parameter and value.</summary>
    internal static RunPolicy ReadPolicy(string? failOnText, string? maxErrorsText)
    {
        var failOn = Severity.Major;
        if (failOnText is not null && !RunPolicy.TryParseFailOn(failOnText, out failOn))
        {
            throw new ArgumentException("runsettings: " + RunPolicy.FailOnError("failOn", failOnText));
        }

        var maxErrors = 0.0;
        if (maxErrorsText is not null && !RunPolicy.TryParseMaxErrors(maxErrorsText, out maxErrors))
        {
            throw new ArgumentException("runsettings: " + RunPolicy.MaxErrorsError("maxErrors", maxErrorsText));
        }

        return new RunPolicy(failOn, maxErrors);
    }

    /// <summary>The scenario (first file supplies the settings; conversations of all files are combined).</summary>
    public Scenario LoadScenario()
    {
        var scenarios = Scenarios.Select(s => ScenarioLoader.Load(RepoPaths.Resolve(s))).ToArray();
        var first = scenarios[0];
        var comparison = SemanticThreshold is { } t ? first.Comparison with { Reply = first.Comparison.Reply with { SemanticThreshold = t } } : first.Comparison;
        return first with { Conversations = scenarios.SelectMany(s => s.Conversations).ToArray(), Comparison = comparison };
    }

    /// <summary>Every conversation the run verifies: scripted ones, then synthetic ones.</summary>
    public IReadOnlyList<Conversation> Conversations(Scenario scenario) =>
        scenario.Conversations.Concat(SyntheticGenerator.Generate(scenario.Synthetic with { Count = SyntheticCount ?? scenario.Synthetic.Count, Seed = Seed })).ToArray();
}
