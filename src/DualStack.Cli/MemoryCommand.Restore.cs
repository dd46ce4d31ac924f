using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using DualStack.Core.Memory;
using DualStack.Core.Stacks;
using Spectre.Console;

namespace DualStack.Cli;

/// <summary><c>dualstack memory restore</c>.</summary>
internal static partial class MemoryCommand
{
    private static Command Restore()
    {
        var to = new Option<string>("--to") { Description = "Stack to write, e.g. http://new:8080", Required = true };
        var input = new Option<string>("--in") { Description = "JSONL file from `memory snapshot`; '-' for stdin", Required = true };
        var common = new CommonOptions();
        var command = new Command("restore", "Upsert every entry of a JSONL snapshot on a stack (idempotent by id). A bad line is reported by number and skipped; the rest is restored. Exit 0 all restored, 1 some lines rejected or the stack failed, 2 usage error.");
        command.Options.Add(to);
        command.Options.Add(input);
        common.AddTo(command, twoStacks: null);
        command.SetAction(async (parse, ct) =>
        {
            var sync = common.Sync(parse);
            using var target = common.Client(parse, to, side: null);
            var path = parse.GetValue(input)!;
            var watch = Stopwatch.StartNew();
            return await OnStackFailure(async () =>
            {
                using var reader = path == "-" ? Console.In : OpenText(path, "--in");
                var result = await WithProgressAsync("restore", p => $"{p.Read} lines read, {p.Applied} entries upserted", progress => sync.RestoreAsync(target, reader, progress, ct));
                foreach (var error in result.Errors)
                {
                    Console.Error.WriteLine($"error: {path}: {error}");
                }

                if (result.Rejected > result.Errors.Count)
                {
                    Console.Error.WriteLine(Invariant($"error: {path}: … and {result.Rejected - result.Errors.Count} more rejected lines"));
                }

                Console.WriteLine(Invariant($"restore: {result.Applied} entries upserted on {target.Name} from {result.Lines} lines of {path}; {result.Rejected} rejected; {watch.Elapsed.TotalSeconds:0.0} s ({Rate(result.Applied, watch)} entries/s)"));
                return result.Rejected == 0 ? ExitCodes.Ok : ExitCodes.Failed;
            });
        });
        return command;
    }
}
