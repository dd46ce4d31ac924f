using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using DualStack.Core.Memory;
using DualStack.Core.Stacks;
using Spectre.Console;

namespace DualStack.Cli;

/// <summary><c>dualstack memory replicate</c>.</summary>
internal static partial class MemoryCommand
{
    private static Command Replicate()
    {
        var from = new Option<string>("--from") { Description = "Source stack, e.g. http://old:8080", Required = true };
        var to = new Option<string>("--to") { Description = "Target stack, e.g. http://new:8080", Required = true };
        var follow = new Option<bool>("--follow") { Description = "Keep polling the source for new entries until Ctrl+C (exit 0)" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "File holding the source cursor after the last applied page; a restart resumes there (no checkpoint: start from the beginning)" };
        var pollMs = new Option<int>("--poll-ms") { Description = "With --follow: wait between polls once caught up, in ms (default 500)", DefaultValueFactory = _ => 500 };
        var common = new CommonOptions();
        var command = new Command("replicate", "Copy a stack's memory to another by following the source's change feed (cursor-based). After each page is upserted on the target the cursor is saved atomically in --checkpoint, so a crashed or stopped run resumes after the last applied page without duplicates. Exit 0 caught up (or --follow stopped with Ctrl+C), 1 a stack failed or refused an entry, 2 usage error or unusable checkpoint, 130 interrupted.");
        foreach (var option in new Option[] { from, to, follow, checkpoint, pollMs })
        {
            command.Options.Add(option);
        }

        common.AddTo(command, twoStacks: ("--from-token-env", "--to-token-env"));
        command.SetAction(async (parse, ct) =>
        {
            var sync = common.Sync(parse);
            var poll = parse.GetValue(pollMs);
            if (poll < 1)
            {
                throw new UsageException(Invariant($"--poll-ms: {poll} must be at least 1"));
            }

            var checkpointPath = parse.GetValue(checkpoint);
            if (checkpointPath is not null && Path.GetDirectoryName(Path.GetFullPath(checkpointPath)) is { } directory && !Directory.Exists(directory))
            {
                throw new UsageException($"--checkpoint: directory '{directory}' does not exist");
            }

            var following = parse.GetValue(follow);
            using var source = common.Client(parse, from, side: 0);
            using var target = common.Client(parse, to, side: 1);
            var watch = Stopwatch.StartNew();
            return await OnStackFailure(async () =>
            {
                Console.WriteLine($"replicate: {source.Name} → {target.Name}; checkpoint {checkpointPath ?? "none (a restart starts from the beginning)"}{(following ? Invariant($"; following every {poll} ms") : string.Empty)}");
                var wasCaughtUp = false;
                var progress = new SynchronousProgress<MemorySyncProgress>(p =>
                {
                    if (p.LastError is not null)
                    {
                        Console.WriteLine($"replicate: retrying: {p.LastError}");
                    }
                    else if (p.CaughtUp)
                    {
                        if (!wasCaughtUp && following)
                        {
                            Console.WriteLine(Invariant($"replicate: caught up at cursor {p.Cursor ?? "start"} ({p.Applied} applied); following (Ctrl+C to stop)"));
                        }

                        wasCaughtUp = true;
                    }
                    else if (p.Lag == 0)
                    {
                        wasCaughtUp = false;
                        Console.WriteLine(Invariant($"replicate: applied {p.Applied} (read {p.Read}, lag 0), cursor {p.Cursor}"));
                    }
                });

                ReplicationResult result;
                try
                {
                    result = await sync.ReplicateAsync(source, target, checkpointPath, following, TimeSpan.FromMilliseconds(poll), progress, ct);
                }
                catch (InvalidDataException ex)
                {
                    throw new UsageException("--checkpoint: " + ex.Message);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new UsageException($"--checkpoint: cannot write '{checkpointPath}': {ex.Message}");
                }

                var resumed = result.ResumedFrom is null ? string.Empty : $"; resumed from cursor {result.ResumedFrom}";
                var summary = Invariant($"{result.Applied} entries applied in {result.Pages} pages, cursor {result.Cursor ?? "start"}{resumed}; {watch.Elapsed.TotalSeconds:0.0} s ({Rate(result.Applied, watch)} entries/s)");
                if (result.Interrupted)
                {
                    Console.WriteLine("replicate: stopped: " + summary);
                    return following ? ExitCodes.Ok : ExitCodes.Interrupted;
                }

                Console.WriteLine("replicate: done: " + summary);
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
