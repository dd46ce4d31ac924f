using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using DualStack.Core.Memory;
using DualStack.Core.Stacks;
using Spectre.Console;

namespace DualStack.Cli;

/// <summary><c>dualstack memory diff</c>.</summary>
internal static partial class MemoryCommand
{
    private static Command Diff()
    {
        var a = new Argument<string>("a") { Description = "Reference stack URL (e.g. the old stack)" };
        var b = new Argument<string>("b") { Description = "Stack compared with it (e.g. the new stack)" };
        var show = new Option<int>("--show") { Description = "Entry ids listed per user and kind (default 5)", DefaultValueFactory = _ => 5 };
        var common = new CommonOptions(pageSizeOnly: true);
        var command = new Command("diff", "Compare two stacks' memory by entry id, per user: missing (in A, not B), extra (in B, not A), changed (same id, different text, user or conversation). Holds ids and content hashes, not texts. Exit 0 identical, 1 different or a stack failed, 2 usage error.");
        command.Arguments.Add(a);
        command.Arguments.Add(b);
        command.Options.Add(show);
        common.AddTo(command, twoStacks: ("--a-token-env", "--b-token-env"));
        command.SetAction(async (parse, ct) =>
        {
            var sync = common.Sync(parse);
            var listed = Math.Max(0, parse.GetValue(show));
            using var left = common.Client(parse, a, side: 0);
            using var right = common.Client(parse, b, side: 1);
            return await OnStackFailure(async () =>
            {
                var diff = await sync.DiffAsync(left, right, ct);
                Console.WriteLine(Invariant($"memory diff: A {left.Name} has {diff.EntriesA} entries, B {right.Name} has {diff.EntriesB}; {diff.Users.Count} users differ, {diff.IdenticalUsers} identical"));
                if (diff.Identical)
                {
                    Console.WriteLine("identical");
                    return ExitCodes.Ok;
                }

                PrintDiff(diff, listed);
                Console.WriteLine(Invariant($"different: {diff.Missing} missing on B, {diff.Extra} extra on B, {diff.Changed} changed"));
                return ExitCodes.Failed;
            });
        });
        return command;
    }
}
