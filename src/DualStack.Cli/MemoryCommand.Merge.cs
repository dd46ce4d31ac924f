using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using DualStack.Core.Memory;
using DualStack.Core.Stacks;
using Spectre.Console;

namespace DualStack.Cli;

/// <summary><c>dualstack memory merge</c>.</summary>
internal static partial class MemoryCommand
{
    private static Command Merge()
    {
        var from = new Option<string>("--from") { Description = "Stack merged from: the new stack", Required = true };
        var into = new Option<string>("--into") { Description = "Stack merged into: the old stack", Required = true };
        var since = new Option<string>("--since") { Description = "Only entries created at or after this time (ISO 8601, e.g. 2026-12-01T00:00:00Z)", Required = true };
        var common = new CommonOptions();
        var command = new Command("merge", "Bring memory the new stack wrote since T into the old stack, by entry id (idempotent). Same id with different content is a conflict: the newer createdAt wins; on a tie the source (--from) wins; each conflict is printed with both versions. Exit 0 merged, 1 a stack failed, 2 usage error.");
        command.Options.Add(from);
        command.Options.Add(into);
        command.Options.Add(since);
        common.AddTo(command, twoStacks: ("--from-token-env", "--into-token-env"));
        command.SetAction(async (parse, ct) =>
        {
            var sync = common.Sync(parse);
            var text = parse.GetValue(since)!;
            if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var window))
            {
                throw new UsageException($"--since: '{text}' is not an ISO 8601 time, e.g. 2026-12-01T00:00:00Z");
            }

            using var source = common.Client(parse, from, side: 0);
            using var target = common.Client(parse, into, side: 1);
            return await OnStackFailure(async () =>
            {
                var result = await sync.MergeAsync(source, target, window, ct);
                var sourceWon = result.Conflicts.Count(c => c.Resolution == MergeResolution.SourceWon);
                Console.WriteLine(Invariant($"merge since {window:O}: {source.Name} → {target.Name}: {result.Candidates} candidates; merged {result.Merged}, unchanged {result.Unchanged}, conflicts {result.Conflicts.Count} (source won {sourceWon}, target kept {result.Conflicts.Count - sourceWon}), deferred {result.Deferred}"));
                foreach (var conflict in result.Conflicts.Take(MaxListedConflicts))
                {
                    var rule = conflict.Resolution == MergeResolution.SourceWon ? "source won (newer or equal createdAt)" : "target kept (newer createdAt)";
                    Console.WriteLine($"conflict {conflict.Id}: {rule}");
                    Console.WriteLine("  from: " + Describe(conflict.Source));
                    Console.WriteLine("  into: " + Describe(conflict.Target));
                }

                if (result.Conflicts.Count > MaxListedConflicts)
                {
                    Console.WriteLine(Invariant($"… and {result.Conflicts.Count - MaxListedConflicts} more conflicts"));
                }

                if (result.Deferred > 0)
                {
                    Console.WriteLine(Invariant($"{result.Deferred} entries were written on {source.Name} during the merge; run the merge again to take them"));
                }

                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
