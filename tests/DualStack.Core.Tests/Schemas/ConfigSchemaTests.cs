using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using DualStack.Core.Comparison;
using DualStack.Core.Config;
using DualStack.Core.Cutover;
using DualStack.Core.Drills;
using DualStack.Core.Gates;
using DualStack.Core.Model;
using DualStack.Core.Scenarios;
using DualStack.Core.Schemas;
using DualStack.Core.Stacks;
using Json.Schema;

namespace DualStack.Core.Tests.Schemas;

/// <summary>
/// The committed schemas in scenarios/ are what the types generate, and every config file in the repository and every
/// JSON example in the README (and docs/) is valid against its schema. Regenerate the schemas with
/// <c>dualstack schema</c> (or DUALSTACK_UPDATE_SCHEMAS=1 on this test).
/// </summary>
public sealed partial class ConfigSchemaTests
{
    private const string UpdateVariable = "DUALSTACK_UPDATE_SCHEMAS";

    private static readonly JsonDocumentOptions Jsonc = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static readonly string RepoRoot = FindRepoRoot();

    public static IEnumerable<TestCaseData> Kinds() => ConfigSchemas.All.Select(k => new TestCaseData(k.FileName).SetName($"CommittedSchema_{k.FileName.Split('.')[0]}_MatchesTheTypes"));

    [TestCaseSource(nameof(Kinds))]
    public void CommittedSchema_MatchesTheTypes(string fileName)
    {
        var kind = ConfigSchemas.Find(fileName)!;
        var path = Path.Combine(RepoRoot, "scenarios", kind.FileName);
        var generated = ConfigSchemas.Generate(kind);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(path, generated);
            TestContext.Out.WriteLine($"{UpdateVariable}=1: wrote {path}");
        }

        Assert.That(ConfigSchemas.HasDescriptions, Is.True, "DualStack.Core.xml (GenerateDocumentationFile) is beside the assembly: the descriptions come from it");
        var problem = Mismatch(kind, File.Exists(path) ? File.ReadAllText(path) : null, generated);
        Assert.That(problem, Is.Null, problem);
    }

    [Test]
    public void CommittedSchema_RecordGainsAProperty_TheCheckFailsNamingIt()
    {
        // A property added to StackConfig's contract, exactly as a new `public int RetryBudget { get; init; }` would be.
        var options = new JsonSerializerOptions(DualStackJson.Options)
        {
            TypeInfoResolver = DualStackJson.Options.TypeInfoResolver!.WithAddedModifier(static info =>
            {
                if (info.Type == typeof(StackConfig))
                {
                    var added = info.CreateJsonPropertyInfo(typeof(int), "retryBudget");
                    added.Get = _ => 3;
                    added.Set = (_, _) => { };
                    info.Properties.Add(added);
                }
            }),
        };
        var kind = ConfigSchemas.Find("scenario.schema.json")!;
        var committed = File.ReadAllText(Path.Combine(RepoRoot, "scenarios", kind.FileName));

        var extended = ConfigSchemas.Generate(kind, options);
        var differences = ConfigSchemas.Differences(committed, extended);
        var problem = Mismatch(kind, committed, extended);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(differences, Has.Some.StartsWith("$.properties.stacks.properties.old.properties.retryBudget: generated"));
            Assert.That(differences, Has.Some.StartsWith("$.properties.stacks.properties.new.properties.retryBudget: generated"));
            Assert.That(differences, Has.Count.EqualTo(2), string.Join("\n", differences));
            Assert.That(problem, Does.Contain("retryBudget").And.Contain("dualstack schema"), "the same check as CommittedSchema_MatchesTheTypes fails and says how to regenerate");
            Assert.That(Mismatch(kind, committed, ConfigSchemas.Generate(kind)), Is.Null, "without the added property the committed file matches");
        }
    }

    [Test]
    public void Differences_PropertyDroppedOrChanged_NamesPathAndBothValues()
    {
        var kind = ConfigSchemas.Find("ramp.schema.json")!;
        var generated = ConfigSchemas.Generate(kind);
        var committed = JsonNode.Parse(generated)!.AsObject();
        committed["properties"]!["holdSeconds"]!["default"] = 60;
        committed["properties"]!.AsObject().Add("oldKnob", new JsonObject { ["type"] = "string" });

        var differences = ConfigSchemas.Differences(committed.ToJsonString(), generated);

        Assert.That(differences, Is.EquivalentTo(new[]
        {
            "$.properties.holdSeconds.default: committed 60, generated 300",
            """$.properties.oldKnob: in the committed file ({"type":"string"}), no longer generated""",
        }));
    }

    [Test]
    public void ScenarioSchema_FullyPopulatedScenario_IsValid()
    {
        // Everything the types can hold, written as the loader reads it: the schema must accept all of it.
        var stack = new StackConfig
        {
            Url = "http://127.0.0.1:18789", Adapter = AdapterKind.OpenClaw, TokenEnv = "OC_TOKEN", HeadersFromEnv = new Dictionary<string, string> { ["X-Key"] = "KEY" },
            Model = "m", SessionHeader = "x-session", Stream = true, SendHistory = false, ToolCallsAreSkills = false, AgentId = "main",
            StateDir = "state", Workspace = "workspace", PathRoots = ["/srv/a"], TrajectoryWaitSeconds = 5,
        };
        var file = new ScenarioFile
        {
            Schema = "./scenario.schema.json", Name = "n", Description = "d",
            Stacks = new StacksConfig { Old = stack, New = stack with { Adapter = AdapterKind.OpenAi, AgentId = null, StateDir = null, Workspace = null } },
            Replay = new ReplayConfig { RepeatNew = true, TurnsPerSecond = 2.5 },
            Synthetic = new SyntheticConfig { Count = 3, Intents = new Dictionary<string, double> { ["refund"] = 2 } },
            Comparison = new ComparisonConfig { Reply = new ReplyComparisonConfig { Normalize = [new NormalizationRule { Name = "t", Pattern = "T-\\d+" }] } },
            Include = ["more.json"],
            Conversations = [new ConversationConfig { Id = "c", UserId = "u", Channel = "web", Tags = ["x"], Turns = [new TurnConfig { Message = "hi", Metadata = new Dictionary<string, string> { ["k"] = "v" }, Expect = new TurnExpectation { Skills = ["s"], WritesMemory = true } }] }],
        };

        var errors = Validate("scenario.schema.json", JsonSerializer.SerializeToNode(file, DualStackJson.Options));

        Assert.That(errors, Is.Empty);
    }

    [TestCase("""{ "stacks": { "old": { "urll": "http://a" } } }""", "urll")]
    [TestCase("""{ "stacks": { "old": { "adapter": "grpc" } } }""", "adapter")]
    [TestCase("""{ "conversations": [ { "id": "a", "turns": [ { "mesage": "hi" } ] } ] }""", "mesage")]
    [TestCase("""{ "replay": { "concurrency": "eight" } }""", "concurrency")]
    public void ScenarioSchema_WhatTheLoaderRejectsAsUnknownOrMistyped_IsInvalid(string json, string field)
    {
        var schemaErrors = Validate("scenario.schema.json", JsonNode.Parse(json));
        var loaderErrors = new List<string>();
        ConfigFile.Parse<ScenarioFile>(json, "x.json", loaderErrors);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(schemaErrors, Is.Not.Empty, "the schema rejects it");
            Assert.That(string.Join("\n", schemaErrors), Does.Contain(field));
            Assert.That(loaderErrors, Is.Not.Empty, "and so does the loader");
        }
    }

    [Test]
    public void RepositoryConfigFiles_AreValidAgainstTheirSchema()
    {
        var checkedFiles = new List<string>();
        var failures = new List<string>();
        foreach (var path in Directory.EnumerateFiles(Path.Combine(RepoRoot, "scenarios"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(RepoRoot, path).Replace('\\', '/');
            if (relative.EndsWith(".schema.json", StringComparison.Ordinal) || relative == "scenarios/sandbox/fixtures.json")
            {
                // The schemas themselves, and WireMock sandbox fixtures (read by the sandbox, not by a config loader).
                continue;
            }

            var node = JsonNode.Parse(File.ReadAllText(path), documentOptions: Jsonc);
            var schema = Classify(node);
            if (schema is null)
            {
                failures.Add($"{relative}: not recognisably a scenario, ramp, drill or cutover file; classify it in {nameof(ConfigSchemaTests)}");
                continue;
            }

            checkedFiles.Add($"{relative} ({schema})");
            failures.AddRange(Validate(schema, node).Select(e => $"{relative}: {e}"));
            if (LoadError(schema, path) is { } loadError)
            {
                failures.Add($"{relative}: valid against {schema} but its loader rejects it: {loadError}");
            }

            var declared = node?["$schema"]?.GetValue<string>();
            if (declared is null || Path.GetFileName(declared) != schema)
            {
                failures.Add($"{relative}: \"$schema\" is {(declared is null ? "missing" : $"'{declared}'")}; editors need it to point at {schema}");
            }
        }

        TestContext.Out.WriteLine("checked:\n  " + string.Join("\n  ", checkedFiles));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(failures, Is.Empty, string.Join("\n", failures));
            Assert.That(checkedFiles, Has.Some.StartsWith("scenarios/demo.json (scenario.schema.json)")
                .And.Some.StartsWith("scenarios/conversations/orders.json (scenario.schema.json)")
                .And.Some.StartsWith("scenarios/ramp.json (ramp.schema.json)")
                .And.Some.StartsWith("scenarios/drill.json (drill.schema.json)")
                .And.Some.StartsWith("scenarios/drill-fault.json (drill.schema.json)")
                .And.Some.StartsWith("scenarios/cutover.json (cutover.schema.json)"));
        }
    }

    [Test]
    public void ReadmeJsonExamples_AreValidAgainstTheirSchema()
    {
        // Every ```json / ```jsonc block in README.md and docs/**/*.md: a DualStack config file by its top-level keys
        // (see Classify), or a known foreign file (an OpenClaw gateway's openclaw.json), or the test fails asking for it
        // to be classified. Blocks of other languages (bash, the contract sketches in plain ```) are not JSON files.
        var documents = new List<string> { Path.Combine(RepoRoot, "README.md") };
        if (Directory.Exists(Path.Combine(RepoRoot, "docs")))
        {
            documents.AddRange(Directory.EnumerateFiles(Path.Combine(RepoRoot, "docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        }

        var checkedBlocks = new List<string>();
        var failures = new List<string>();
        foreach (var document in documents)
        {
            var name = Path.GetRelativePath(RepoRoot, document).Replace('\\', '/');
            foreach (var (line, text) in JsonBlocks(File.ReadAllText(document)))
            {
                var where = $"{name} line {line}";
                JsonNode? node;
                try
                {
                    node = JsonNode.Parse(text, documentOptions: Jsonc);
                }
                catch (JsonException ex)
                {
                    failures.Add($"{where}: a json block that does not parse: {ex.Message}");
                    continue;
                }

                if (node is JsonObject root && root.ContainsKey("gateway"))
                {
                    TestContext.Out.WriteLine($"{where}: OpenClaw gateway config (openclaw.json), not a DualStack file: skipped");
                    continue;
                }

                var schema = Classify(node);
                if (schema is null)
                {
                    failures.Add($"{where}: a json block that is no DualStack config file and no known foreign file; classify it in {nameof(ConfigSchemaTests)}");
                    continue;
                }

                checkedBlocks.Add($"{where} ({schema})");
                failures.AddRange(Validate(schema, node).Select(e => $"{where}: {e}"));
            }
        }

        TestContext.Out.WriteLine("checked:\n  " + string.Join("\n  ", checkedBlocks));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(failures, Is.Empty, string.Join("\n", failures));
            Assert.That(checkedBlocks.Count(b => b.EndsWith("(scenario.schema.json)", StringComparison.Ordinal)), Is.GreaterThanOrEqualTo(2),
                "the README's full scenario reference and the OpenClaw scenario (wherever they live) are checked");
        }
    }

    [Test]
    public void JsonBlocks_FencedJsonAndJsonc_AreFoundWithTheirLine()
    {
        const string markdown = "# T\n\n```bash\necho {}\n```\n\n```json\n{ \"a\": 1 }\n```\ntext\n```jsonc\n{\n  // c\n  \"b\": 2\n}\n```\n";

        var blocks = JsonBlocks(markdown).ToArray();

        Assert.That(blocks, Is.EqualTo(new[] { (8, "{ \"a\": 1 }\n"), (12, "{\n  // c\n  \"b\": 2\n}\n") }));
    }

    // The kind of config file a JSON object is, by keys only that kind has; null when none matches.
    private static string? Classify(JsonNode? node)
    {
        if (node is not JsonObject root)
        {
            return null;
        }

        bool Has(params string[] keys) => keys.Any(root.ContainsKey);
        if (root["$schema"]?.GetValueKind() == JsonValueKind.String && ConfigSchemas.Find(Path.GetFileName(root["$schema"]!.GetValue<string>())) is { } declared)
        {
            return declared.FileName;
        }

        return Has("stacks", "conversations", "include", "replay", "synthetic", "comparison") ? "scenario.schema.json"
            : Has("steps", "holdSeconds", "windowSeconds", "gates") ? "ramp.schema.json"
            : Has("trigger", "rampTo", "turnsPerConversation", "limits") ? "drill.schema.json"
            : Has("requiredAtFullSeconds", "dns", "windowStart", "expectWebhooks") ? "cutover.schema.json"
            : null;
    }

    // The loader of each kind, so a file the schema accepts is also one the tool reads (an included file of
    // conversations loads as a scenario of its own too).
    private static string? LoadError(string schema, string path)
    {
        try
        {
            switch (schema)
            {
                case "scenario.schema.json":
                    ScenarioLoader.Load(path);
                    break;
                case "ramp.schema.json":
                    RampPlanLoader.Load(path);
                    break;
                case "drill.schema.json":
                    DrillConfig.Load(path);
                    break;
                case "cutover.schema.json":
                    CutoverConfigLoader.Load(path);
                    break;
            }

            return null;
        }
        catch (Exception ex) when (ex is ConfigException or InvalidDataException)
        {
            return ex.Message;
        }
    }

    private static IEnumerable<(int Line, string Text)> JsonBlocks(string markdown)
    {
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (Fence().Match(lines[i]) is not { Success: true } open || open.Groups[2].Value is not ("json" or "jsonc"))
            {
                continue;
            }

            var body = new StringBuilder();
            var start = i + 2;
            for (i++; i < lines.Length && lines[i].Trim() != open.Groups[1].Value; i++)
            {
                body.Append(lines[i]).Append('\n');
            }

            yield return (start, body.ToString());
        }
    }

    private static List<string> Validate(string schemaFile, JsonNode? instance)
    {
        var schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(RepoRoot, "scenarios", schemaFile)));
        var result = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return result.IsValid
            ? []
            : result.Details.Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value} ({schemaFile} {d.EvaluationPath})")).ToList();
    }

    private static string? Mismatch(ConfigSchemaKind kind, string? committed, string generated)
    {
        var file = $"scenarios/{kind.FileName}";
        var regenerate = $"Regenerate with `dualstack schema` (from source: dotnet run --project src/DualStack.Cli -- schema --out scenarios), or run this test with {UpdateVariable}=1, and commit the file.";
        if (committed is null)
        {
            return $"{file} is missing. {regenerate}";
        }

        var differences = ConfigSchemas.Differences(committed, generated);
        if (differences.Count > 0)
        {
            return $"{file} differs from the schema the types generate:\n  {string.Join("\n  ", differences)}\n{regenerate}";
        }

        return committed == generated ? null : $"{file} has the generated content but not its formatting. {regenerate}";
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DualStack.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"DualStack.sln not found above {TestContext.CurrentContext.TestDirectory}");
    }

    [GeneratedRegex(@"^\s*(`{3,})\s*([A-Za-z0-9_-]*)")]
    private static partial Regex Fence();
}
