using System.CommandLine;
using DualStack.Core.Postgres;
using DualStack.Core.Runs;
using DualStack.Semantic;

namespace DualStack.Cli;

/// <summary><c>dualstack worker</c>: claims conversation batches of a distributed run from PostgreSQL, replays and judges them.</summary>
internal static class WorkerCommand
{
    public static Command Build()
    {
        var queue = new Option<string>("--queue") { Description = "PostgreSQL connection string of the work queue (the one `verify --queue` uses)", Required = true };
        var run = new Option<string?>("--run") { Description = "Run id to work on (default: the oldest run with conversations left)" };
        var batch = new Option<int>("--batch") { Description = "Conversations per claim (default 4)", DefaultValueFactory = _ => 4 };
        var lease = new Option<int>("--lease-seconds") { Description = "A claim expires unless renewed within this many seconds (default 30); renewed every third of it", DefaultValueFactory = _ => 30 };
        var command = new Command("worker", "Work on a distributed verification run: claim conversations (FOR UPDATE SKIP LOCKED, with a lease), replay them to both stacks, judge them and write the results back. Exits 0 when the run has nothing left to claim, 2 on a usage or connection error. A worker that dies loses nothing: its claim expires and another worker takes it.");
        command.Options.Add(queue);
        command.Options.Add(run);
        command.Options.Add(batch);
        command.Options.Add(lease);
        command.SetAction(async (parse, ct) =>
        {
            var connection = parse.GetValue(queue)!;
            if (!PostgresConnection.IsPostgres(connection))
            {
                throw new UsageException($"--queue: '{connection}' is not a PostgreSQL connection string (postgres://… or Host=…)");
            }

            if (parse.GetValue(batch) < 1 || parse.GetValue(lease) < 1)
            {
                throw new UsageException($"--batch ({parse.GetValue(batch)}) and --lease-seconds ({parse.GetValue(lease)}) must be at least 1");
            }

            ReplayQueue replayQueue;
            try
            {
                replayQueue = await ReplayQueue.OpenAsync(connection, "--queue", ct);
            }
            catch (Exception ex) when (ex is InvalidDataException or ArgumentException)
            {
                throw new UsageException(ex.Message);
            }

            await using (replayQueue)
            {
                var runId = parse.GetValue(run) ?? await replayQueue.OpenRunAsync(ct);
                if (runId is null)
                {
                    Console.WriteLine("no run with conversations left");
                    return ExitCodes.Ok;
                }

                var settings = await replayQueue.GetSettingsAsync(runId, ct) ?? throw new UsageException($"--run: no run '{runId}' in the queue");
                using var semantic = settings.Lexical ? null : new MiniLmSimilarity();
                var worker = new ReplayWorker(replayQueue, runId, settings, semantic)
                {
                    BatchSize = parse.GetValue(batch),
                    Lease = TimeSpan.FromSeconds(parse.GetValue(lease)),
                    Claimed = ids => Console.WriteLine($"claimed {ids.Count}: {string.Join(' ', ids)}"),
                };
                Console.WriteLine($"worker {worker.Name} on run {runId}");
                try
                {
                    var judged = await worker.RunAsync(ct);
                    Console.WriteLine($"done: {judged} conversations judged by this worker");
                    return ExitCodes.Ok;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    Console.WriteLine("stopped: conversations in hand are released when their lease expires");
                    return ExitCodes.Interrupted;
                }
            }
        });
        return command;
    }
}
