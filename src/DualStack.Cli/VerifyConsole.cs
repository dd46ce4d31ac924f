using DualStack.Core.Judgement;
using DualStack.Core.Replay;
using DualStack.Core.Results;
using DualStack.Core.Runs;
using Spectre.Console;

namespace DualStack.Cli;

/// <summary>What <c>verify</c> and <c>demo</c> print: progress while replaying, the summary tables after.</summary>
internal static class VerifyConsole
{
    /// <summary>Runs the verification with a live progress bar on a terminal, or a line per 10 % when output is redirected.</summary>
    public static async Task<RunResult> RunWithProgressAsync(VerificationRequest request, int total, CancellationToken cancellationToken)
    {
        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            RunResult? result = null;
            await AnsiConsole.Progress().AutoClear(true).StartAsync(async context =>
            {
                var task = context.AddTask("replaying", maxValue: total);
                var progress = new Progress<ReplayProgress>(p =>
                {
                    task.Value = p.ConversationsDone;
                    task.Description = $"replaying · {p.TurnsDone} turns · {p.StackErrors} stack errors";
                });
                result = await VerificationRunner.RunAsync(request, progress, null, cancellationToken);
            });
            return result!;
        }

        var step = Math.Max(1, total / 10);
        var plain = new SynchronousProgress<ReplayProgress>(p =>
        {
            if (p.ConversationsDone % step == 0 || p.ConversationsDone == p.ConversationsTotal)
            {
                Console.WriteLine($"progress: {p.ConversationsDone}/{p.ConversationsTotal} conversations, {p.TurnsDone} turns, {p.StackErrors} stack errors");
            }
        });
        return await VerificationRunner.RunAsync(request, plain, null, cancellationToken);
    }

    /// <summary>The verdict tables, the worst regressions, the keys beyond the noise floor and the results path.</summary>
    public static void PrintSummary(RunResult result, string resultsPath)
    {
        var s = result.Summary;
        var table = new Table().Title($"run {result.RunId}: {s.Conversations} conversations, {s.Turns} turns").AddColumns("verdict", "conversations");
        foreach (var verdict in Enum.GetValues<Verdict>())
        {
            table.AddRow(verdict.ToString(), s.ByVerdict.GetValueOrDefault(verdict).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        var dims = new Table().Title("turns per dimension").AddColumn("dimension");
        foreach (var verdict in Enum.GetValues<Verdict>())
        {
            dims.AddColumn(verdict.ToString());
        }

        foreach (var (dimension, counts) in s.ByDimension)
        {
            dims.AddRow([dimension.ToString(), .. Enum.GetValues<Verdict>().Select(v => counts.GetValueOrDefault(v).ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        }

        AnsiConsole.Write(dims);
        var regressed = result.Conversations.Where(c => c.Verdict is Verdict.Regression or Verdict.Error).OrderByDescending(c => c.Verdict).ThenByDescending(c => c.Severity).Take(15).ToArray();
        if (regressed.Length > 0)
        {
            var list = new Table().Title("regressions and errors (worst first)").AddColumns("conversation", "verdict", "severity", "reason");
            foreach (var c in regressed)
            {
                list.AddRow(Markup.Escape(c.Conversation.Id), c.Verdict.ToString(), c.Severity.ToString(), Markup.Escape(c.Reason.Length > 160 ? c.Reason[..160] + "…" : c.Reason));
            }

            AnsiConsole.Write(list);
        }

        var reported = result.Keys.Where(k => k.Reported).Select(k => $"{k.Key} ({k.Raw} vs noise {k.Noise})").ToArray();
        Console.WriteLine(reported.Length == 0 ? "no difference key beyond the noise floor" : "difference keys beyond the noise floor: " + string.Join(", ", reported));
        Console.WriteLine($"regressions: {s.Regressions} (critical {s.RegressionsBySeverity.GetValueOrDefault(Severity.Critical)}, major {s.RegressionsBySeverity.GetValueOrDefault(Severity.Major)}, minor {s.RegressionsBySeverity.GetValueOrDefault(Severity.Minor)}); errors: {s.Errors}");
        Console.WriteLine($"results: {resultsPath}");
    }
}
