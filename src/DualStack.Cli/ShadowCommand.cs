using DualStack.Core.Privacy;
using System.CommandLine;
using DualStack.Core.Capture;
using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Replay;
using DualStack.Core.Runs;
using DualStack.Core.Results;
using DualStack.Core.Verdicts;
using DualStack.Semantic;

namespace DualStack.Cli;

/// <summary><c>dualstack shadow judge</c>: judges the pairs a <c>capture --shadow</c> proxy stored, in its own process.</summary>
internal static class ShadowCommand
{
    public static Command Build()
    {
        var source = new Option<string>("--source") { Description = "The store `capture --shadow` writes: a SQLite file (captures.db) or a PostgreSQL connection string", Required = true };
        var follow = new Option<bool>("--follow") { Description = "Live mode: keep judging new pairs as the proxy stores them, rewrite the run's report every --report-seconds; runs until Ctrl+C" };
        var since = new Option<string?>("--since") { Description = "Only pairs recorded in this span before now, e.g. 24h, 90m, 7d (default: every pair); with --follow a rolling window" };
        var reports = new Option<string>("--reports") { Description = "Folder for run folders (default reports)", DefaultValueFactory = _ => "reports" };
        var lexical = new Option<bool>("--lexical") { Description = "Judge reply meaning lexically (skip the local MiniLM model)" };
        var allure = new Option<bool>("--allure") { Description = "Also render the Allure HTML report (needs the npm package 'allure')" };
        var history = new Option<string?>("--allure-history") { Description = "Allure history file (JSONL) kept between runs for trends" };
        var batch = new Option<int>("--batch") { Description = "Pairs per claim (default 32)", DefaultValueFactory = _ => 32 };
        var lease = new Option<int>("--lease-seconds") { Description = "A claim expires unless renewed within this many seconds (default 30); a judge that dies loses nothing", DefaultValueFactory = _ => 30 };
        var reportEvery = new Option<int>("--report-seconds") { Description = "With --follow: rewrite the report at most this often when something new was judged (default 60)", DefaultValueFactory = _ => 60 };
        var policy = new RunPolicyOptions();
        var command = new Command(
            "judge",
            "Judge the shadow pairs (old and new answer to one live turn) a `capture --shadow` proxy stored, with the engine `verify` uses, and write a run folder `report` renders (results.json, index.html, allure-results/). " +
            "Each pair is judged once: judges claim pairs under a lease (PostgreSQL: FOR UPDATE SKIP LOCKED, so several judges share the work) and store one judgement per pair. " +
            "Exit 0 no regression at or above --fail-on, 1 regressions, 2 usage error or store unusable, 3 could not judge (errors beyond --max-errors, or nothing judged), 130 interrupted (with --follow: after the final report).");
        policy.AddTo(command);
        foreach (var option in new Option[] { source, follow, since, reports, lexical, allure, history, batch, lease, reportEvery })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            var runPolicy = policy.Read(parse);
            var window = parse.GetValue(since) is { } text ? ParseSpan(text) : (TimeSpan?)null;
            if (parse.GetValue(batch) < 1 || parse.GetValue(lease) < 1 || parse.GetValue(reportEvery) < 1)
            {
                throw new UsageException($"--batch ({parse.GetValue(batch)}), --lease-seconds ({parse.GetValue(lease)}) and --report-seconds ({parse.GetValue(reportEvery)}) must be at least 1");
            }

            var value = parse.GetValue(source)!;
            IShadowJudgeQueue queue;
            try
            {
                queue = await ShadowJudgeQueues.OpenAsync(value, "--source", null, ct);
            }
            catch (Exception ex) when (ex is InvalidDataException or ArgumentException)
            {
                throw new UsageException(ex.Message);
            }

            await using (queue)
            {
                using var semantic = parse.GetValue(lexical) ? null : new MiniLmSimilarity();
                var engine = new VerdictEngine(new ComparisonConfig(), semantic);
                var live = parse.GetValue(follow);
                var judge = new ShadowJudge(queue, engine)
                {
                    BatchSize = parse.GetValue(batch),
                    Lease = TimeSpan.FromSeconds(parse.GetValue(lease)),
                    Window = window,
                    Judged = live ? PrintFinding : PrintProgress(),
                };
                var started = DateTimeOffset.UtcNow;
                var runId = VerificationRunner.NewRunId(started);
                var sourceName = Core.Postgres.PostgresConnection.IsPostgres(value) ? "postgresql" : Path.GetFileName(value);
                var runDirectory = Path.Combine(parse.GetValue(reports)!, runId);
                Console.WriteLine($"shadow judge {judge.Name} on {CaptureStores.Describe(value)}: {(window is null ? "every pair" : $"pairs of the last {parse.GetValue(since)}")}; meaning judged by {engine.Similarity}{(live ? $"; following, report every {parse.GetValue(reportEvery)} s in {runDirectory}" : string.Empty)}");
                if (!live)
                {
                    var judged = await judge.RunAsync(follow: false, ct);
                    var progress = await queue.ProgressAsync(judge.Since, CancellationToken.None);
                    Console.WriteLine($"judged {judged} pair(s) here; {progress.Done} of {progress.Total} pair(s) in the window judged{(progress.Reclaimed > 0 ? $", {progress.Reclaimed} re-claimed after an expired lease" : string.Empty)}");
                    var result = await WriteRunAsync(queue, judge.Since, engine, runId, sourceName, started, cancelled: false, runDirectory, parse.GetValue(allure), parse.GetValue(history), CancellationToken.None);
                    return RunPolicyOptions.Exit(result, runPolicy);
                }

                return await FollowAsync(judge, queue, engine, runId, sourceName, started, runDirectory, TimeSpan.FromSeconds(parse.GetValue(reportEvery)), parse.GetValue(allure), parse.GetValue(history), ct);
            }
        });

        var shadow = new Command("shadow", "Shadow traffic tools: `shadow judge` judges the pairs `capture --shadow` stored.");
        shadow.Subcommands.Add(command);
        return shadow;
    }

    private static async Task<int> FollowAsync(ShadowJudge judge, IShadowJudgeQueue queue, VerdictEngine engine, string runId, string sourceName, DateTimeOffset started, string runDirectory, TimeSpan reportEvery, bool allure, string? history, CancellationToken cancellationToken)
    {
        var judging = judge.RunAsync(follow: true, cancellationToken);
        long reported = -1;
        while (!judging.IsCompleted)
        {
            await Task.WhenAny(judging, Task.Delay(reportEvery, CancellationToken.None));
            var progress = await queue.ProgressAsync(judge.Since, CancellationToken.None);
            if (progress.Done != reported && progress.Done > 0)
            {
                reported = progress.Done;
                await WriteRunAsync(queue, judge.Since, engine, runId, sourceName, started, cancelled: false, runDirectory, allure, history, CancellationToken.None);
            }
        }

        try
        {
            await judging;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await WriteRunAsync(queue, judge.Since, engine, runId, sourceName, started, cancelled: true, runDirectory, allure, history, CancellationToken.None);
        Console.Error.WriteLine("interrupted: judgements so far are stored; the report above is final for this run");
        return ExitCodes.Interrupted;
    }

    private static async Task<RunResult> WriteRunAsync(IShadowJudgeQueue queue, DateTimeOffset? since, VerdictEngine engine, string runId, string sourceName, DateTimeOffset started, bool cancelled, string runDirectory, bool allure, string? history, CancellationToken cancellationToken)
    {
        var result = await ShadowJudgeRun.BuildAsync(queue, since, engine, runId, sourceName, started, cancelled, null, cancellationToken);
        // The proxy stores pairs redacted; stores written before it did still hold clear text, and the run folder never does.
        result = new Redactor([]).RedactJson(result, Core.Model.DualStackJson.Options);
        Console.WriteLine($"shadow run {result.RunId}: {result.Summary.Conversations} conversations, {result.Summary.Turns} turns, {result.Summary.Regressions} regressions, {result.Summary.Errors} errors");
        Console.WriteLine($"results: {await ResultsFile.WriteAsync(result, runDirectory, cancellationToken)}");
        foreach (var line in await ReportWriter.WriteAsync(result, runDirectory, allure, history, cancellationToken))
        {
            Console.WriteLine(line);
        }

        return result;
    }

    // A nightly MiniLM job judges for minutes: one plain line per 500 pairs says it is alive (stdout may be a log file).
    private static Action<ShadowPair, TurnResult> PrintProgress()
    {
        var judged = 0;
        return (_, _) =>
        {
            if (++judged % 500 == 0)
            {
                Console.WriteLine($"progress: {judged} pairs judged");
            }
        };
    }

    private static void PrintFinding(ShadowPair pair, TurnResult result)
    {
        if (result.Verdict is Verdict.Regression or Verdict.Error)
        {
            Console.WriteLine($"{result.Verdict.ToString().ToLowerInvariant()}{(result.Verdict == Verdict.Regression ? " " + result.Severity.ToString().ToLowerInvariant() : string.Empty)}: conversation {pair.Turn.ConversationKey} turn {pair.Turn.TurnIndex + 1}: {result.Reason}");
        }
    }

    private static TimeSpan ParseSpan(string text)
    {
        try
        {
            return CaptureStores.ParseRetention(text, "--since");
        }
        catch (FormatException ex)
        {
            throw new UsageException(ex.Message);
        }
    }
}
