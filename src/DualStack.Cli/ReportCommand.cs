using DualStack.Core.Privacy;
using System.CommandLine;
using DualStack.Core.Capture;
using DualStack.Core.Reports;
using DualStack.Core.Results;

namespace DualStack.Cli;

/// <summary><c>dualstack report</c>: (re)renders the HTML report and Allure results of a run from its results.json.</summary>
internal static class ReportCommand
{
    public static Command Build()
    {
        var run = new Option<string?>("--run") { Description = "Run folder or its results.json (default: the newest run under --reports)" };
        var reports = new Option<string>("--reports") { Description = "Folder holding run folders (default reports)", DefaultValueFactory = _ => "reports" };
        var allure = new Option<bool>("--allure") { Description = "Also render allure-results/ to allure-report/ with the npm package 'allure' (single file, opens from file://)" };
        var history = new Option<string?>("--history") { Description = "Allure history file (JSONL) kept between runs for trends, e.g. reports/allure-history.jsonl" };
        var allureResults = new Option<string?>("--allure-results") { Description = "Render this allure-results folder (e.g. the one `dotnet test` wrote) instead of a run" };
        var output = new Option<string?>("--out") { Description = "With --allure-results: output folder (default: allure-report next to it)" };
        var source = new Option<string?>("--source") { Description = "Build the run from a capture store's shadow comparisons (captures.db written by `capture --shadow`)" };
        var lexical = new Option<bool>("--lexical") { Description = "With --source: judge reply meaning lexically (no MiniLM model)" };
        var policy = new RunPolicyOptions();
        var command = new Command("report", "Render a run's self-contained HTML report (index.html) and, with --allure, its Allure results and Allure HTML. Exit 0 ok, 2 no such run or not a results file. With --source (shadow judge): 1 regressions at or above --fail-on, 3 could not judge (errors beyond --max-errors, or nothing judged).");
        policy.AddTo(command);
        command.Options.Add(run);
        command.Options.Add(reports);
        command.Options.Add(allure);
        command.Options.Add(history);
        command.Options.Add(allureResults);
        command.Options.Add(output);
        command.Options.Add(source);
        command.Options.Add(lexical);
        command.SetAction(async (parse, ct) =>
        {
            var runPolicy = policy.Read(parse);
            if (parse.GetValue(source) is { } capturePath)
            {
                var isPostgres = Core.Postgres.PostgresConnection.IsPostgres(capturePath);
                if (!isPostgres && !File.Exists(capturePath))
                {
                    throw new UsageException($"--source: '{capturePath}' does not exist");
                }

                RunResult shadowRun;
                try
                {
                    await using var shadowStore = await ShadowResultStores.OpenAsync(capturePath, ct, "--source");
                    using var semantic = parse.GetValue(lexical) ? null : new DualStack.Semantic.MiniLmSimilarity();
                    shadowRun = await ShadowRun.BuildAsync(shadowStore, isPostgres ? "postgresql" : Path.GetFileName(capturePath), new Core.Comparison.ComparisonConfig(), semantic, null, ct);
                    // Stores written before shadow comparisons were redacted still hold clear text: the run folder never does.
                    shadowRun = new Redactor([]).RedactJson(shadowRun, Core.Model.DualStackJson.Options);
                }
                catch (Exception ex) when (ex is InvalidDataException or ArgumentException)
                {
                    throw new UsageException(ex.Message);
                }

                var runDirectory = Path.Combine(parse.GetValue(reports)!, shadowRun.RunId);
                Console.WriteLine($"shadow run from {CaptureStores.Describe(capturePath)}: {shadowRun.Summary.Conversations} conversations, {shadowRun.Summary.Turns} turns, {shadowRun.Summary.Regressions} regressions, {shadowRun.Summary.Errors} errors");
                Console.WriteLine($"results: {await ResultsFile.WriteAsync(shadowRun, runDirectory, ct)}");
                foreach (var line in await ReportWriter.WriteAsync(shadowRun, runDirectory, parse.GetValue(allure), parse.GetValue(history), ct))
                {
                    Console.WriteLine(line);
                }

                return RunPolicyOptions.Exit(shadowRun, runPolicy);
            }

            if (parse.GetValue(allureResults) is { } resultsDir)
            {
                if (!Directory.Exists(resultsDir))
                {
                    throw new UsageException($"--allure-results: '{resultsDir}' does not exist");
                }

                var target = parse.GetValue(output) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(resultsDir))!, "allure-report");
                var rendered = await AllureHtml.RenderAsync(resultsDir, target, parse.GetValue(history), "DualStack", ct);
                Console.WriteLine(rendered.Message);
                return rendered.Rendered ? ExitCodes.Ok : ExitCodes.Failed;
            }

            var resultsPath = Locate(parse.GetValue(run), parse.GetValue(reports)!);
            RunResult result;
            try
            {
                result = await ResultsFile.ReadAsync(resultsPath, ct);
            }
            catch (InvalidDataException ex)
            {
                throw new UsageException(ex.Message);
            }

            var directory = Path.GetDirectoryName(Path.GetFullPath(resultsPath))!;
            var written = await ReportWriter.WriteAsync(result, directory, parse.GetValue(allure), parse.GetValue(history), ct);
            foreach (var line in written)
            {
                Console.WriteLine(line);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Locate(string? run, string reports)
    {
        if (run is not null)
        {
            var path = Directory.Exists(run) ? Path.Combine(run, ResultsFile.FileName) : run;
            return File.Exists(path) ? path : throw new UsageException($"--run: '{run}' has no {ResultsFile.FileName}");
        }

        var newest = Directory.Exists(reports)
            ? Directory.GetFiles(reports, ResultsFile.FileName, SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            : null;
        return newest ?? throw new UsageException($"no run found under '{reports}' (run `dualstack verify` first, or pass --run)");
    }
}

/// <summary>Writes a run's reports; shared by <c>verify</c>, <c>demo</c> and <c>report</c>.</summary>
internal static class ReportWriter
{
    /// <summary>Writes index.html and allure-results/; renders Allure HTML when <paramref name="renderAllure"/>.</summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(RunResult result, string directory, bool renderAllure, string? historyPath, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var html = await HtmlReport.WriteAsync(result, directory, cancellationToken);
        lines.Add($"HTML report: {html}");
        var resultsDirectory = Path.Combine(directory, "allure-results");
        if (Directory.Exists(resultsDirectory))
        {
            Directory.Delete(resultsDirectory, recursive: true);
        }

        AllureConversion.WriteRun(new AllureWriter(resultsDirectory), result);
        lines.Add($"Allure results: {resultsDirectory}");
        if (!renderAllure)
        {
            return lines;
        }

        var rendered = await AllureHtml.RenderAsync(resultsDirectory, Path.Combine(directory, "allure-report"), historyPath, $"DualStack {result.Scenario} {result.RunId}", cancellationToken);
        lines.Add(rendered.Message);
        return lines;
    }
}
