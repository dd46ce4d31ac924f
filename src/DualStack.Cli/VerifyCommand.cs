using DualStack.Core.Privacy;
using System.CommandLine;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Replay;
using DualStack.Core.Results;
using DualStack.Core.Runs;
using DualStack.Core.Scenarios;
using DualStack.Core.Stacks;
using DualStack.Core.Synthetic;
using DualStack.Core.Verdicts;
using DualStack.Semantic;
using Spectre.Console;

namespace DualStack.Cli;

/// <summary><c>dualstack verify</c>: Phase 2 verification (<c>dualstack demo</c>, in Embedded/, runs it on the sample stacks).</summary>
internal static class VerifyCommand
{
    internal sealed record VerifyOptions
    {
        public string? ScenarioPath { get; init; }
        public StackOverrides Stacks { get; init; } = new();
        public string? OldUrl => Stacks.OldUrl;
        public string? NewUrl => Stacks.NewUrl;
        public IReadOnlyList<string> Sources { get; init; } = [];
        public int? Synthetic { get; init; }
        public int? Seed { get; init; }
        public string ReportsDir { get; init; } = "reports";
        public bool Lexical { get; init; }
        public IReadOnlyList<string> EmbeddedNewFaults { get; init; } = [];
        public int? Concurrency { get; init; }
        public bool Demo { get; init; }
        public bool Allure { get; init; }
        public string? AllureHistory { get; init; }
        public string? Queue { get; init; }
        public int Workers { get; init; }
        public string? RunId { get; init; }
        public int Batch { get; init; } = 4;
        public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);
        public RunPolicy Policy { get; init; } = RunPolicy.Default;
        public string? Offline { get; init; }
    }

    public static Command Build(ISampleStacks samples)
    {
        var scenario = new Option<string?>("--scenario") { Description = "Scenario file. Default: none when --old/--new/--adapter/--model/--token-env are given (stacks from those flags, conversations from --synthetic and --source), else scenarios/demo.json with the embedded sample stacks" };
        var oldUrl = new Option<string?>("--old") { Description = "Old stack URL (overrides the scenario); empty everywhere = embedded sample stacks" };
        var newUrl = new Option<string?>("--new") { Description = "New stack URL (overrides the scenario)" };
        var adapter = new Option<string?>("--adapter") { Description = "Contract both stacks speak: native, openai or openclaw (overrides the scenario; default native)" };
        var model = new Option<string?>("--model") { Description = "Model name sent to both stacks by the openai/openclaw adapters (overrides the scenario; default 'default')" };
        var tokenEnv = new Option<string?>("--token-env") { Description = "Environment variable holding both stacks' bearer token (overrides the scenario; never pass the token itself)" };
        var source = new Option<string[]>("--source") { Description = "Extra conversations: a JSONL file from `synth`/`captures export`, another scenario file, or a capture store (captures.db or a PostgreSQL connection string) (repeatable)", AllowMultipleArgumentsPerToken = true };
        var synthetic = new Option<int?>("--synthetic") { Description = "Synthetic conversations to add (overrides synthetic.count)" };
        var seed = new Option<int?>("--seed") { Description = "Synthetic seed (overrides synthetic.seed)" };
        var reports = new Option<string>("--reports") { Description = "Folder for run results (default reports)", DefaultValueFactory = _ => "reports" };
        var lexical = new Option<bool>("--lexical") { Description = "Judge reply meaning lexically only (skip the local MiniLM model)" };
        var faults = new Option<string[]>("--embedded-new-faults") { Description = "Fault knobs for the embedded new stack, e.g. drop-skill (embedded stacks only)", AllowMultipleArgumentsPerToken = true };
        var concurrency = new Option<int?>("--concurrency") { Description = "Conversations in flight (overrides replay.concurrency)" };
        var allure = new Option<bool>("--allure") { Description = "Also render the Allure HTML report (needs the npm package 'allure')" };
        var history = new Option<string?>("--allure-history") { Description = "Allure history file (JSONL) kept between runs for trends" };
        var queue = new Option<string?>("--queue") { Description = "Distributed replay: PostgreSQL connection string of the work queue; conversations are claimed in batches by --workers here and by any `dualstack worker` on the same queue" };
        var workers = new Option<int?>("--workers") { Description = "Distributed replay: worker loops in this process (default 1 with --queue; 0 = only external `dualstack worker` processes)" };
        var runId = new Option<string?>("--run-id") { Description = "Distributed replay: run id; an existing run is resumed (nothing re-enqueued, judged conversations kept)" };
        var batch = new Option<int>("--batch") { Description = "Distributed replay: conversations per claim (default 4)", DefaultValueFactory = _ => 4 };
        var lease = new Option<int>("--lease-seconds") { Description = "Distributed replay: a claim expires unless renewed within this many seconds (default 30)", DefaultValueFactory = _ => 30 };
        var offline = new Option<string?>("--offline") { Description = "Judge recorded turns without calling any stack: a JSONL of turn triples (scenarios/detection format) or a previous run's results.json (or its folder), with the scenario's comparison settings" };
        var policy = new RunPolicyOptions();
        var command = new Command("verify", "Replay conversations to the old stack (twice) and the new stack, judge every turn beyond the noise floor, write reports/<run>/results.json. Exit 0 no regression at or above --fail-on, 1 regressions, 2 config error, 3 could not judge (errors beyond --max-errors, or nothing judged), 130 interrupted.");
        policy.AddTo(command);
        foreach (var option in new Option[] { scenario, oldUrl, newUrl, adapter, model, tokenEnv, source, synthetic, seed, reports, lexical, faults, concurrency, allure, history, queue, workers, runId, batch, lease, offline })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => RunAsync(
            new VerifyOptions
            {
                ScenarioPath = parse.GetValue(scenario),
                Stacks = new StackOverrides
                {
                    OldUrl = CliArgs.OptionalUrl(parse.GetValue(oldUrl), "--old"),
                    NewUrl = CliArgs.OptionalUrl(parse.GetValue(newUrl), "--new"),
                    Adapter = CliArgs.Adapter(parse.GetValue(adapter)),
                    Model = CliArgs.NotBlank(parse.GetValue(model), "--model"),
                    TokenEnv = CliArgs.TokenVariable(parse.GetValue(tokenEnv)),
                },
                Sources = parse.GetValue(source) ?? [],
                Synthetic = parse.GetValue(synthetic),
                Seed = parse.GetValue(seed),
                ReportsDir = parse.GetValue(reports)!,
                Lexical = parse.GetValue(lexical),
                EmbeddedNewFaults = SplitList(parse.GetValue(faults)),
                Concurrency = parse.GetValue(concurrency),
                Allure = parse.GetValue(allure),
                AllureHistory = parse.GetValue(history),
                Queue = parse.GetValue(queue),
                Workers = parse.GetValue(workers) is { } w ? (w >= 0 ? w : throw new UsageException($"--workers: {w} must not be negative")) : (parse.GetValue(queue) is null ? 0 : 1),
                RunId = parse.GetValue(runId),
                Batch = parse.GetValue(batch) is > 0 and var b ? b : throw new UsageException($"--batch: {parse.GetValue(batch)} must be at least 1"),
                Lease = parse.GetValue(lease) is > 0 and var l ? TimeSpan.FromSeconds(l) : throw new UsageException($"--lease-seconds: {parse.GetValue(lease)} must be at least 1"),
                Policy = policy.Read(parse),
                Offline = parse.GetValue(offline),
            },
            samples,
            ct));
        return command;
    }

    internal static IReadOnlyList<string> SplitList(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();

    /// <summary>
    /// The run's scenario: the <c>--scenario</c> file with the stack flags in place of its stacks; without a file, the
    /// stacks from the flags (no scripted conversation, so nothing shop-specific is expected of the agent); with neither,
    /// the demo scenario and the embedded sample stacks.
    /// </summary>
    private static Scenario LoadScenario(VerifyOptions options, ISampleStacks samples)
    {
        // --offline calls no stack: its conflict check names the stack flags instead of applying them.
        var overrides = options.Offline is null && options.Stacks.Any ? options.Stacks : null;
        if (options.ScenarioPath is { } path)
        {
            return File.Exists(path)
                ? ScenarioLoader.Load(path, overrides)
                : throw new UsageException($"--scenario: '{path}' does not exist");
        }

        if (overrides is not null)
        {
            return ScenarioLoader.FromCommandLine(overrides);
        }

        var demo = samples.FindDemoScenario()
            ?? throw new UsageException("--scenario: not given and the default scenarios/demo.json was not found; give --scenario FILE, or --old and --new with --synthetic N or --source FILE");
        return ScenarioLoader.Load(demo);
    }

    internal static async Task<int> RunAsync(VerifyOptions options, ISampleStacks samples, CancellationToken cancellationToken)
    {
        var scenario = LoadScenario(options, samples);
        if (options.Offline is not null)
        {
            return await RunOfflineAsync(options, scenario, cancellationToken);
        }

        if (options.Concurrency is { } c)
        {
            if (c < 1)
            {
                throw new UsageException($"--concurrency: {c} must be at least 1");
            }

            scenario = scenario with { Replay = scenario.Replay with { Concurrency = c } };
        }

        var conversations = new List<Conversation>(scenario.Conversations);
        foreach (var source in options.Sources)
        {
            conversations.AddRange(await LoadSourceAsync(source, cancellationToken));
        }

        var synthetic = scenario.Synthetic with { Count = options.Synthetic ?? scenario.Synthetic.Count, Seed = options.Seed ?? scenario.Synthetic.Seed };
        if (synthetic.Count < 0)
        {
            throw new UsageException($"--synthetic: {synthetic.Count} must not be negative");
        }

        conversations.AddRange(SyntheticGenerator.Generate(synthetic));
        if (conversations.Count == 0)
        {
            throw new UsageException(scenario.SourceFile == ScenarioLoader.CommandLineSource
                ? "no conversations to replay: give --synthetic N or --source FILE (or a --scenario with conversations)"
                : $"{scenario.SourceFile}: no conversations to replay (add 'conversations', 'synthetic.count' or --source)");
        }

        var oldConfig = scenario.Old with { Url = options.OldUrl ?? scenario.Old.Url };
        var newConfig = scenario.New with { Url = options.NewUrl ?? scenario.New.Url };
        var embedded = string.IsNullOrWhiteSpace(oldConfig.Url) && string.IsNullOrWhiteSpace(newConfig.Url);
        if (!embedded && (string.IsNullOrWhiteSpace(oldConfig.Url) || string.IsNullOrWhiteSpace(newConfig.Url)))
        {
            throw new UsageException("give both stack URLs (--old and --new, or stacks.old.url and stacks.new.url), or neither to use the embedded sample stacks");
        }

        if (embedded && (oldConfig.Adapter != AdapterKind.Native || newConfig.Adapter != AdapterKind.Native))
        {
            throw new UsageException($"the embedded sample stacks speak the native contract: adapter '{(oldConfig.Adapter != AdapterKind.Native ? oldConfig.Adapter : newConfig.Adapter).ToString().ToLowerInvariant()}' needs --old and --new (your stacks' URLs)");
        }

        if (!embedded && options.EmbeddedNewFaults.Count > 0)
        {
            throw new UsageException("--embedded-new-faults applies only to the embedded sample stacks");
        }

        IRunningSampleStacks? stacks = null;
        try
        {
            if (embedded)
            {
                try
                {
                    stacks = await samples.StartAsync(options.EmbeddedNewFaults, cancellationToken);
                }
                catch (ArgumentException ex)
                {
                    throw new UsageException(ex.Message);
                }

                oldConfig = oldConfig with { Url = stacks.Old.AbsoluteUri };
                newConfig = newConfig with { Url = stacks.New.AbsoluteUri };
                Console.WriteLine($"embedded stacks: {stacks.Description}");
            }

            using var oldStack = Create("old", oldConfig, scenario);
            using var newStack = Create("new", newConfig, scenario);
            using var semantic = options.Lexical ? null : new MiniLmSimilarity();
            Console.WriteLine($"replaying {conversations.Count} conversations ({conversations.Sum(x => x.Turns.Count)} turns) from {scenario.SourceFile}; old asked {(scenario.Replay.RepeatOld ? "twice" : "once")}, {scenario.Replay.Concurrency} in flight; meaning judged by {(semantic is null ? "lexical similarity" : "MiniLM embeddings")}");
            var request = new VerificationRequest
            {
                Scenario = scenario,
                Old = oldStack,
                New = newStack,
                Conversations = conversations,
                Semantic = semantic,
                Seed = synthetic.Count > 0 ? synthetic.Seed : null,
            };
            if ((options.Workers > 0 || options.RunId is not null) && options.Queue is null)
            {
                throw new UsageException("--workers and --run-id need --queue (a PostgreSQL connection string)");
            }

            var result = options.Queue is null
                ? await VerifyConsole.RunWithProgressAsync(request, conversations.Count, cancellationToken)
                : await RunDistributedAsync(options, request, synthetic.Count > 0 ? synthetic.Seed : null, cancellationToken);
            if (options.Sources.Any(IsCaptureStore))
            {
                // Conversations from live traffic: both stacks' answers to them go through the capture redactor
                // before the run folder (results.json, HTML, Allure attachments) is written.
                result = new Core.Privacy.Redactor([]).RedactJson(result, DualStackJson.Options);
            }

            return await ReportAsync(result, options, cancellationToken);
        }
        finally
        {
            if (stacks is not null)
            {
                await stacks.DisposeAsync();
            }
        }
    }

    /// <summary>Writes the run folder, prints the tables and picks the exit code (live and offline runs alike).</summary>
    private static async Task<int> ReportAsync(RunResult result, VerifyOptions options, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(options.ReportsDir, result.RunId);
        var resultsPath = await ResultsFile.WriteAsync(result, directory, CancellationToken.None);
        VerifyConsole.PrintSummary(result, resultsPath);
        foreach (var line in await ReportWriter.WriteAsync(result, directory, options.Allure, options.AllureHistory, CancellationToken.None))
        {
            Console.WriteLine(line);
        }

        if (result.Cancelled && cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine($"interrupted: kept {result.Summary.Conversations} judged conversations in {resultsPath}");
            return ExitCodes.Interrupted;
        }

        if (options.Demo)
        {
            Console.WriteLine(result.Summary.Regressions > 0
                ? $"demo: the planted faults ({string.Join(", ", options.EmbeddedNewFaults)}) were found as {result.Summary.Regressions} regressed conversations; open the report to see why."
                : "demo: no regression found — the planted faults went undetected.");

            // Finding the planted regressions is the demo's success; a demo that could not judge is not.
            var demoOutcome = RunOutcome.Evaluate(result, options.Policy);
            return demoOutcome.Kind == RunOutcomeKind.CouldNotJudge ? RunPolicyOptions.Exit(result, options.Policy) : ExitCodes.Ok;
        }

        return RunPolicyOptions.Exit(result, options.Policy);
    }

    /// <summary><c>verify --offline FILE</c>: judges recorded turns with the scenario's comparison settings; no stack is called.</summary>
    private static async Task<int> RunOfflineAsync(VerifyOptions options, Scenario scenario, CancellationToken cancellationToken)
    {
        var conflicts = new (bool Given, string Option)[]
        {
            (options.OldUrl is not null, "--old"), (options.NewUrl is not null, "--new"), (options.Stacks.Adapter is not null, "--adapter"),
            (options.Stacks.Model is not null, "--model"), (options.Stacks.TokenEnv is not null, "--token-env"), (options.Sources.Count > 0, "--source"),
            (options.Synthetic is not null, "--synthetic"), (options.EmbeddedNewFaults.Count > 0, "--embedded-new-faults"), (options.Queue is not null, "--queue"),
        };
        if (conflicts.FirstOrDefault(c => c.Given) is { Given: true } conflict)
        {
            throw new UsageException($"--offline judges recorded turns without calling any stack: {conflict.Option} cannot be combined with it");
        }

        var path = options.Offline!;
        if (Directory.Exists(path))
        {
            path = Path.Combine(path, ResultsFile.FileName);
        }

        if (!File.Exists(path))
        {
            throw new UsageException($"--offline: '{path}' does not exist");
        }

        IReadOnlyList<OfflineConversation> conversations;
        RunStacks stacks;
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            // Bad lines surface as a ConfigException: one line per problem, exit 2.
            conversations = OfflineTriples.Load(path).Select(OfflineTriples.ToConversation).ToArray();
            stacks = OfflineTriples.TripleStacks(path);
        }
        else
        {
            RunResult previous;
            try
            {
                previous = await ResultsFile.ReadAsync(path, cancellationToken);
            }
            catch (InvalidDataException ex)
            {
                throw new UsageException($"--offline: {ex.Message} (expected a results.json or a .jsonl of turn triples)");
            }

            conversations = OfflineTriples.FromResults(previous);
            stacks = previous.Stacks;
        }

        if (conversations.Count == 0)
        {
            throw new UsageException($"--offline: '{path}' holds no conversations to judge");
        }

        using var semantic = options.Lexical ? null : new MiniLmSimilarity();
        var engine = new VerdictEngine(scenario.Comparison, semantic);
        Console.WriteLine($"judging {conversations.Count} recorded conversations ({conversations.Sum(c => c.Replay.Turns.Count)} turns) from {path} offline with the comparison settings of {scenario.SourceFile}; meaning judged by {engine.Similarity}");
        var result = OfflineTriples.Judge(conversations, engine, scenario.Name, stacks);
        return await ReportAsync(result, options, cancellationToken);
    }

    private static async Task<RunResult> RunDistributedAsync(VerifyOptions options, VerificationRequest request, int? seed, CancellationToken cancellationToken)
    {
        if (!Core.Postgres.PostgresConnection.IsPostgres(options.Queue))
        {
            throw new UsageException($"--queue: '{options.Queue}' is not a PostgreSQL connection string (postgres://… or Host=…)");
        }

        Core.Runs.ReplayQueue queue;
        try
        {
            queue = await Core.Runs.ReplayQueue.OpenAsync(options.Queue!, "--queue", cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException)
        {
            throw new UsageException(ex.Message);
        }

        await using (queue)
        {
            var coordinator = new DistributedRunOptions { RunId = options.RunId, Workers = options.Workers, Batch = options.Batch, Lease = options.Lease, Redact = options.Sources.Any(IsCaptureStore) };
            try
            {
                return await DistributedCoordinator.RunAsync(queue, request, seed, coordinator, Console.WriteLine, TimeProvider.System, cancellationToken);
            }
            catch (ArgumentException ex)
            {
                throw new UsageException(ex.Message);
            }
        }
    }

    /// <summary>Conversations of a <c>--source</c>: a capture store (PostgreSQL connection string or a SQLite <c>.db</c> file) or a JSONL/scenario file.</summary>
    private static bool IsCaptureStore(string source) =>
        Core.Postgres.PostgresConnection.IsPostgres(source) || source.EndsWith(".db", StringComparison.OrdinalIgnoreCase);

    internal static async Task<IReadOnlyList<Conversation>> LoadSourceAsync(string source, CancellationToken cancellationToken)
    {
        if (IsCaptureStore(source))
        {
            await using var store = await CaptureCommand.Open(source, cancellationToken, "--source");
            var captured = new List<Conversation>();
            await foreach (var conversation in Core.Capture.CaptureConversations.ReadAsync(store, new Core.Capture.ConversationKeyOptions().Routes, cancellationToken))
            {
                captured.Add(conversation);
            }

            return captured;
        }

        if (!File.Exists(source))
        {
            throw new UsageException($"--source: '{source}' does not exist");
        }

        return ScenarioLoader.LoadConversations(source);
    }

    private static IAgentStack Create(string name, StackConfig config, Scenario scenario)
    {
        try
        {
            var stack = StackFactory.Create(name, config, turnTimeout: TimeSpan.FromSeconds(scenario.Replay.TurnTimeoutSeconds));
            return stack;
        }
        catch (ArgumentException ex)
        {
            throw new UsageException($"{scenario.SourceFile}: {ex.Message}");
        }
    }
}
