using DualStack.Core.Config;
using DualStack.Core.Scenarios;
using DualStack.Core.Stacks;

namespace DualStack.Core.Tests.Scenarios;

public sealed class ScenarioLoaderTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateTempDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "dualstack-scenarios-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteTempDirectory() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string json)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json);
        return path;
    }

    // How the loader names a file in messages: relative to the working directory when below it, else absolute.
    private static string Display(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, Path.GetFullPath(path));
        return relative.StartsWith("..", StringComparison.Ordinal) ? Path.GetFullPath(path) : relative;
    }

    private static ConfigException LoadFails(string path) => Assert.Throws<ConfigException>(() => ScenarioLoader.Load(path))!;

    private static string FindRepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} not found above {TestContext.CurrentContext.TestDirectory}");
    }

    [Test]
    public void Load_ShippedDemoScenario_LoadsSettingsAndIncludedConversations()
    {
        var scenario = ScenarioLoader.Load(FindRepoFile(Path.Combine("scenarios", "demo.json")));

        Assert.That(scenario.Name, Is.EqualTo("demo"));
        Assert.That(scenario.Old.Adapter, Is.EqualTo(AdapterKind.Native));
        Assert.That(scenario.Replay.Concurrency, Is.EqualTo(8));
        Assert.That(scenario.Synthetic.Count, Is.EqualTo(40));
        Assert.That(scenario.Conversations.Select(c => c.Id), Is.SupersetOf(new[] { "refund-flow", "partial-refund", "order-status-shipped", "address-change", "memory-recall" }));
        Assert.That(scenario.Conversations.Select(c => c.Id), Is.Unique);
        var refund = scenario.Conversations.Single(c => c.Id == "refund-flow");
        Assert.That(refund.UserId, Is.EqualTo("u-2001"));
        Assert.That(refund.Turns, Has.Count.EqualTo(3));
        Assert.That(refund.Turns[2].Expect!.Skills, Does.Contain("issue_refund"));
        Assert.That(refund.SourceFile, Does.EndWith("refunds.json"));
    }

    [Test]
    public void Load_SeveralProblems_ReportsAllOfThemNamingFileAndItem()
    {
        var path = Write("broken.json", """
            {
              "name": "broken",
              "replay": { "concurrency": 0 },
              "synthetic": { "count": 5, "intents": { "refund": 1, "refnd": 2 } },
              "comparison": { "reply": { "normalize": [ { "name": "ticket", "pattern": "TKT-(\\d+" } ] } },
              "include": [ "missing.json" ],
              "conversations": [
                { "id": "refund-flow", "turns": [ { "message": "Where is order 7788?" }, { "message": "  " } ] },
                { "turns": [ { "message": "hello" } ] }
              ]
            }
            """);

        var errors = LoadFails(path).Errors;

        Assert.That(errors, Has.Count.EqualTo(6), string.Join(Environment.NewLine, errors));
        Assert.That(errors, Has.All.Contain("broken.json"));
        Assert.That(errors, Has.One.EqualTo($"scenario 'refund-flow' ({Display(path)}): turn 2: 'message' is empty"));
        Assert.That(errors, Has.One.Contains("scenario '#2'").And.Contains("'id' is missing"));
        Assert.That(errors, Has.One.Contains("replay.concurrency: 0"));
        Assert.That(errors, Has.One.Contains("unknown intent 'refnd'"));
        Assert.That(errors, Has.One.Contains("comparison.reply.normalize[0]").And.Contains("TKT-(\\d+").And.Contains("not a valid regex"));
        Assert.That(errors, Has.One.Contains("include 'missing.json' does not exist"));
    }

    [Test]
    public void Load_UnknownProperty_ReportsItsName()
    {
        var path = Write("typo.json", """
            {
              "name": "typo",
              "replay": { "concurency": 4 },
              "conversations": [ { "id": "a", "turns": [ { "message": "hi" } ] } ]
            }
            """);

        var errors = LoadFails(path).Errors;

        Assert.That(errors, Has.One.Contains("typo.json").And.Contains("concurency"));
    }

    [TestCase("en-XX")]
    [TestCase("english")]
    [TestCase("")]
    public void Load_UnknownDateLocale_ReportsFileFieldAndValue(string locale)
    {
        var path = Write("locale.json", $$"""
            {
              "comparison": { "reply": { "dateLocale": "{{locale}}" } },
              "conversations": [ { "id": "a", "turns": [ { "message": "hi" } ] } ]
            }
            """);

        var errors = LoadFails(path).Errors;

        Assert.That(errors, Has.One.EqualTo($"{Display(path)}: comparison.reply.dateLocale: '{locale}' is not a language tag such as en-US, en-GB or de-DE, nor MDY or DMY"));
    }

    [TestCase("en-GB")]
    [TestCase("de-DE")]
    [TestCase("en-US")]
    [TestCase("DMY")]
    public void Load_KnownDateLocale_IsAccepted(string locale)
    {
        var path = Write("locale.json", $$"""
            {
              "comparison": { "reply": { "dateLocale": "{{locale}}", "maskTimesOfDay": false } },
              "replay": { "repeatNew": true },
              "conversations": [ { "id": "a", "turns": [ { "message": "hi" } ] } ]
            }
            """);

        var scenario = ScenarioLoader.Load(path);

        Assert.That(scenario.Comparison.Reply.DateLocale, Is.EqualTo(locale));
    }

    [Test]
    public void Load_UnknownPropertyInStackConfig_ReportsItsName()
    {
        var path = Write("stack-typo.json", """
            {
              "stacks": { "new": { "url": "http://127.0.0.1:9/", "toekn": "AGENT_TOKEN" } },
              "conversations": [ { "id": "a", "turns": [ { "message": "hi" } ] } ]
            }
            """);

        var errors = LoadFails(path).Errors;

        Assert.That(errors, Has.One.Contains("stack-typo.json").And.Contains("toekn"));
    }

    [Test]
    public void Load_UnknownPropertyInExpectation_ReportsItsName()
    {
        var path = Write("expect-typo.json", """
            { "conversations": [ { "id": "a", "turns": [ { "message": "refund 4411", "expect": { "skils": [ "issue_refund" ] } } ] } ] }
            """);

        var errors = LoadFails(path).Errors;

        Assert.That(errors, Has.One.Contains("expect-typo.json").And.Contains("skils"));
    }

    [Test]
    public void Load_MalformedJson_ReportsLineNumber()
    {
        var path = Write("malformed.json", "{\n  \"name\": \"x\"\n  \"description\": \"missing comma above\"\n}\n");

        var errors = LoadFails(path).Errors;

        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0], Does.Contain("malformed.json").And.Contain("invalid JSON").And.Contain("line 3"));
    }

    [Test]
    public void Load_DuplicateIdsAcrossIncludes_ReportsDuplicate()
    {
        Write(Path.Combine("conversations", "one.json"), """{ "conversations": [ { "id": "refund-flow", "turns": [ { "message": "a" } ] } ] }""");
        Write(Path.Combine("conversations", "two.json"), """{ "conversations": [ { "id": "refund-flow", "turns": [ { "message": "b" } ] } ] }""");
        var path = Write("main.json", """{ "include": [ "conversations/one.json", "conversations/two.json" ] }""");

        var errors = LoadFails(path).Errors;

        Assert.That(errors, Has.One.Contains("'refund-flow'").And.Contains("duplicate conversation id").And.Contains("two.json").And.Contains("one.json"));
    }

    [Test]
    public void Load_IncludedFileWithSettings_IsRejected()
    {
        Write("part.json", """{ "replay": { "concurrency": 2 }, "conversations": [ { "id": "b", "turns": [ { "message": "b" } ] } ] }""");
        var path = Write("main.json", """{ "include": [ "part.json" ], "conversations": [ { "id": "a", "turns": [ { "message": "a" } ] } ] }""");

        var errors = LoadFails(path).Errors;

        Assert.That(errors, Has.One.Contains("part.json").And.Contains("may only hold 'conversations'"));
    }

    [Test]
    public void Load_ValidScenario_AppliesDefaults()
    {
        var path = Write("minimal.json", """
            // comments and trailing commas are allowed
            { "conversations": [ { "id": "hello", "turns": [ { "message": "hi" }, ] } ] }
            """);

        var scenario = ScenarioLoader.Load(path);

        Assert.That(scenario.Name, Is.EqualTo("minimal"));
        Assert.That(scenario.Replay.Concurrency, Is.EqualTo(8));
        Assert.That(scenario.Replay.RepeatOld, Is.True);
        var conversation = scenario.Conversations.Single();
        Assert.That(conversation.UserId, Is.EqualTo("u-hello"));
        Assert.That(conversation.Channel, Is.EqualTo("web"));
    }

    [Test]
    public void LoadConversations_JsonlWithBadLine_NamesLineNumber()
    {
        var path = Write("recorded.jsonl", string.Join('\n',
            """{"id":"c1","userId":"u1","turns":[{"message":"hi"}]}""",
            string.Empty,
            """{"id":"c2","userId":"u2","turns":[{"message":"hi"}""",
            """{"id":"c3","userId":"u3","turns":[]}"""));

        var errors = Assert.Throws<ConfigException>(() => ScenarioLoader.LoadConversations(path))!.Errors;

        Assert.That(errors, Has.Count.EqualTo(2), string.Join(Environment.NewLine, errors));
        Assert.That(errors[0], Does.Contain("recorded.jsonl").And.Contain("line 3"));
        Assert.That(errors[1], Does.Contain("recorded.jsonl").And.Contain("line 4"));
    }

    [Test]
    public void Load_SeveralUnknownProperties_ReportsEveryOneWithItsPathAndTheOtherErrors()
    {
        var path = Write("typos.json", """
            {
              "stacks": { "old": { "urll": "http://127.0.0.1:9/" }, "new": { "url": "http://127.0.0.1:8/", "toekn": "X" } },
              "replay": { "concurency": 4, "turnTimeoutSeconds": 0 },
              "comparison": { "reply": { "semanticTreshold": 0.5 } },
              "conversations": [ { "id": "a", "turns": [ { "message": "hi" }, { "mesage": "bye" } ] } ]
            }
            """);
        var file = Display(path);

        var errors = LoadFails(path).Errors;

        Assert.Multiple(() =>
        {
            Assert.That(errors, Has.One.StartsWith($"{file}: stacks.old.urll: unknown property; did you mean 'url'? (line 2, position"));
            Assert.That(errors, Has.One.StartsWith($"{file}: stacks.new.toekn: unknown property"));
            Assert.That(errors, Has.One.StartsWith($"{file}: replay.concurency: unknown property; did you mean 'concurrency'? (line 3, "));
            Assert.That(errors, Has.One.StartsWith($"{file}: comparison.reply.semanticTreshold: unknown property"));
            Assert.That(errors, Has.One.StartsWith($"{file}: conversations[0].turns[1].mesage: unknown property; did you mean 'message'?"));
            Assert.That(errors, Has.One.EqualTo($"{file}: replay.turnTimeoutSeconds: 0 must be positive"));
            Assert.That(errors, Has.One.EqualTo($"scenario 'a' ({file}): turn 2: 'message' is empty"));
            Assert.That(errors, Has.Count.EqualTo(7), string.Join(Environment.NewLine, errors));
        });
    }

    [Test]
    public void Load_UnknownPropertiesInIncludedFile_ReportedWithThatFile()
    {
        Write("more.json", """{ "conversations": [ { "id": "b", "tag": [ "x" ], "turns": [ { "message": "hi", "expect": { "skils": [] } } ] } ] }""");
        var path = Write("main.json", """{ "include": [ "more.json" ], "conversations": [ { "id": "a", "turns": [ { "message": "hi" } ] } ] }""");
        var included = Display(Path.Combine(_dir, "more.json"));

        var errors = LoadFails(path).Errors;

        Assert.That(errors, Is.EquivalentTo(new[]
        {
            $"{included}: conversations[0].tag: unknown property; did you mean 'tags'? (line 1, position 35)",
            $"{included}: conversations[0].turns[0].expect.skils: unknown property; did you mean 'skills'? (line 1, position 93)",
        }));
    }

    [Test]
    public void LoadConversations_JsonlLineWithTwoUnknownProperties_ReportsBothWithTheirLine()
    {
        var path = Write("typos.jsonl", string.Join('\n',
            """{"id":"c1","userId":"u1","turns":[{"message":"hi"}]}""",
            """{"id":"c2","userId":"u2","turns":[{"message":"hi","expect":{"skils":["x"],"noSkils":["y"]}}]}"""));
        var file = Display(path);

        var errors = Assert.Throws<ConfigException>(() => ScenarioLoader.LoadConversations(path))!.Errors;

        Assert.That(errors, Is.EqualTo(new[]
        {
            $"{file}: turns[0].expect.skils: unknown property; did you mean 'skills'? (line 2, position 61)",
            $"{file}: turns[0].expect.noSkils: unknown property; did you mean 'noSkills'? (line 2, position 75)",
        }));
    }

    [Test]
    public void LoadConversations_ValidJsonl_ReturnsEveryConversation()
    {
        var path = Write("recorded.jsonl", """
            {"id":"c1","userId":"u1","source":"recorded","turns":[{"message":"hi"}]}
            {"id":"c2","userId":"u2","turns":[{"message":"where is 4411?"},{"message":"thanks"}]}
            """);

        var conversations = ScenarioLoader.LoadConversations(path);

        Assert.That(conversations.Select(c => c.Id), Is.EqualTo(new[] { "c1", "c2" }));
        Assert.That(conversations[1].Turns, Has.Count.EqualTo(2));
        Assert.That(conversations[0].Source, Is.EqualTo(DualStack.Core.Model.ConversationSource.Recorded));
    }

    [Test]
    public void Load_PathRoots_ResolvedAgainstScenarioFolder()
    {
        var path = Write(Path.Combine("sub", "roots.json"), """
            { "stacks": { "old": { "url": "http://127.0.0.1:1", "pathRoots": [ "agent-old/", "/srv/shared" ] },
                          "new": { "url": "http://127.0.0.1:2", "pathRoots": [ "../agent-new" ] } },
              "conversations": [ { "id": "c", "turns": [ { "message": "hi" } ] } ] }
            """);

        var scenario = ScenarioLoader.Load(path);

        Assert.Multiple(() =>
        {
            Assert.That(scenario.Old.PathRoots, Is.EqualTo(new[] { Path.Combine(_dir, "sub", "agent-old"), "/srv/shared" }));
            Assert.That(scenario.New.PathRoots, Is.EqualTo(new[] { Path.Combine(_dir, "agent-new") }));
        });
    }

    [Test]
    public void Load_BadPathRoots_EveryErrorNamesFileFieldAndValue()
    {
        var path = Write("bad-roots.json", """
            { "stacks": { "old": { "url": "http://127.0.0.1:1", "pathRoots": [ "/srv/ok", "", "/srv/a\u0000b", "/" ] },
                          "new": { "url": "http://127.0.0.1:2", "pathRoots": [ "  " ] } },
              "conversations": [ { "id": "c", "turns": [ { "message": "hi" } ] } ] }
            """);

        var errors = LoadFails(path).Errors;

        var file = Display(path);
        Assert.That(errors, Has.Count.EqualTo(4), string.Join("\n", errors));
        Assert.Multiple(() =>
        {
            Assert.That(errors, Has.One.StartsWith($"{file}: stacks.old.pathRoots[1]: '' is empty"));
            Assert.That(errors, Has.One.StartsWith($"{file}: stacks.old.pathRoots[2]: '/srv/a\\u0000b' contains characters that are not valid in a path"));
            Assert.That(errors, Has.One.StartsWith($"{file}: stacks.old.pathRoots[3]: '/' is the file system's root"));
            Assert.That(errors, Has.One.StartsWith($"{file}: stacks.new.pathRoots[0]: '  ' is empty"));
        });
    }

    [Test]
    public void Load_StackOverrides_ReplaceTheFilesStacksAndKeepTheRest()
    {
        var path = Write("agent.json", """
            { "stacks": { "old": { "url": "http://old:1", "adapter": "native", "tokenEnv": "OLD_TOKEN", "sessionHeader": "x-session" },
                          "new": { "url": "http://new:1" } },
              "replay": { "concurrency": 3 },
              "conversations": [ { "id": "c", "turns": [ { "message": "hi" } ] } ] }
            """);

        var scenario = ScenarioLoader.Load(path, new StackOverrides { NewUrl = "http://127.0.0.1:9", Adapter = AdapterKind.OpenAi, Model = "agent-7" });

        Assert.Multiple(() =>
        {
            Assert.That(scenario.Old.Url, Is.EqualTo("http://old:1"), "a URL not given keeps the file's");
            Assert.That(scenario.New.Url, Is.EqualTo("http://127.0.0.1:9"));
            Assert.That(new[] { scenario.Old.Adapter, scenario.New.Adapter }, Is.All.EqualTo(AdapterKind.OpenAi));
            Assert.That(new[] { scenario.Old.Model, scenario.New.Model }, Is.All.EqualTo("agent-7"));
            Assert.That(scenario.Old.TokenEnv, Is.EqualTo("OLD_TOKEN"));
            Assert.That(scenario.Old.SessionHeader, Is.EqualTo("x-session"));
            Assert.That(scenario.Replay.Concurrency, Is.EqualTo(3));
            Assert.That(scenario.Conversations.Select(c => c.Id), Is.EqualTo(new[] { "c" }));
        });
    }

    [Test]
    public void Load_OverriddenAdapter_IsValidatedLikeTheFileHadSaidIt()
    {
        var path = Write("claw.json", """
            { "stacks": { "old": { "adapter": "openclaw", "agentId": "support" }, "new": { "adapter": "openclaw" } },
              "conversations": [ { "id": "c", "turns": [ { "message": "hi" } ] } ] }
            """);

        var errors = Assert.Throws<ConfigException>(() => ScenarioLoader.Load(path, new StackOverrides { Adapter = AdapterKind.Native }))!.Errors;

        Assert.That(errors, Is.EqualTo(new[] { $"{Display(path)}: stacks.old.agentId: 'support' is only used by adapter 'openclaw' (this stack's adapter is 'native')" }));
    }

    [Test]
    public void FromCommandLine_StacksFromFlags_DefaultsAndNoScriptedConversation()
    {
        var scenario = ScenarioLoader.FromCommandLine(new StackOverrides { OldUrl = "http://127.0.0.1:1", NewUrl = "http://127.0.0.1:2", Adapter = AdapterKind.OpenClaw, TokenEnv = "GATEWAY_TOKEN" });

        Assert.Multiple(() =>
        {
            Assert.That(scenario.SourceFile, Is.EqualTo(ScenarioLoader.CommandLineSource));
            Assert.That((scenario.Old.Url, scenario.New.Url), Is.EqualTo(("http://127.0.0.1:1", "http://127.0.0.1:2")));
            Assert.That(new[] { scenario.Old.Adapter, scenario.New.Adapter }, Is.All.EqualTo(AdapterKind.OpenClaw));
            Assert.That(new[] { scenario.Old.TokenEnv, scenario.New.TokenEnv }, Is.All.EqualTo("GATEWAY_TOKEN"));
            Assert.That(scenario.Old.Model, Is.EqualTo("default"));
            Assert.That(scenario.Conversations, Is.Empty, "nothing scripted, so nothing shop-specific is expected of the agent");
            Assert.That(scenario.Synthetic.Count, Is.Zero);
            Assert.That(scenario.Replay, Is.EqualTo(new ReplayConfig()));
        });
    }

    [Test]
    public void FromCommandLine_CredentialsInUrl_RejectedNamingTheStack()
    {
        var error = Assert.Throws<ConfigException>(() => ScenarioLoader.FromCommandLine(new StackOverrides { OldUrl = "http://user:secret@127.0.0.1:1", NewUrl = "http://127.0.0.1:2" }))!;

        Assert.That(error.Errors, Is.EqualTo(new[] { "command line: stacks.old.url: credentials in the URL are not allowed; use tokenEnv" }));
    }

    [TestCase("native", AdapterKind.Native)]
    [TestCase("openai", AdapterKind.OpenAi)]
    [TestCase("OpenAI", AdapterKind.OpenAi)]
    [TestCase("openclaw", AdapterKind.OpenClaw)]
    public void TryParseAdapter_KnownName_ReadsIt(string text, AdapterKind expected)
    {
        Assert.That(StackOverrides.TryParseAdapter(text, out var adapter), Is.True);
        Assert.That(adapter, Is.EqualTo(expected));
    }

    [TestCase("openapi")]
    [TestCase("")]
    [TestCase("1")]
    [TestCase(null)]
    public void TryParseAdapter_AnythingElse_IsRejected(string? text) =>
        Assert.That(StackOverrides.TryParseAdapter(text, out _), Is.False);
}
