using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using DualStack.Core.Memory;
using DualStack.Core.Stacks;
using Spectre.Console;

namespace DualStack.Cli;

/// <summary><c>dualstack memory snapshot</c>.</summary>
internal static partial class MemoryCommand
{
    private static Command Snapshot()
    {
        var from = new Option<string>("--from") { Description = "Stack to read, e.g. http://old:8080", Required = true };
        var output = new Option<string>("--out") { Description = "JSONL file to write, one entry per line; '-' for stdout", Required = true };
        var common = new CommonOptions();
        var command = new Command("snapshot", "Write every memory entry of a stack to a JSONL file. Exit 0 written, 1 the stack failed, 2 usage error.");
        command.Options.Add(from);
        command.Options.Add(output);
        common.AddTo(command, twoStacks: null);
        command.SetAction(async (parse, ct) =>
        {
            var sync = common.Sync(parse);
            using var source = common.Client(parse, from, side: null);
            var path = parse.GetValue(output)!;
            var watch = Stopwatch.StartNew();
            return await OnStackFailure(async () =>
            {
                if (path == "-")
                {
                    await sync.SnapshotAsync(source, Console.Out, progress: null, ct);
                    return ExitCodes.Ok;
                }

                // Written beside the target and renamed at the end, so a failed snapshot never looks complete.
                var file = CliArgs.CreateAtomicFile(path, "--out");
                long count;
                await using (file)
                {
                    var writer = new StreamWriter(file.Stream, new UTF8Encoding(false), leaveOpen: true);
                    await using (writer)
                    {
                        count = await WithProgressAsync("snapshot", p => $"{p.Read} entries read", progress => sync.SnapshotAsync(source, writer, progress, ct));
                    }

                    await file.CommitAsync(flushToDisk: false, ct);
                }

                Console.WriteLine(Invariant($"snapshot: {count} entries from {source.Name} written to {path} in {watch.Elapsed.TotalSeconds:0.0} s ({Rate(count, watch)} entries/s)"));
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
