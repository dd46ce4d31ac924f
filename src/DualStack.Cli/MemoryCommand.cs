using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using DualStack.Core.Memory;
using DualStack.Core.Stacks;
using Spectre.Console;

namespace DualStack.Cli;

/// <summary><c>dualstack memory snapshot|restore|replicate|diff|merge</c>: memory sync over contract v1's memory API.</summary>
internal static class MemoryCommand
{
    private const int MaxListedConflicts = 50;

    public static Command Build()
    {
        var memory = new Command("memory", "Copy, compare and merge agent memory between stacks over contract v1 (GET /v1/memory, PUT /v1/memory/{id}). Streams page by page; upserts by id are idempotent.");
        memory.Subcommands.Add(Snapshot());
        memory.Subcommands.Add(Restore());
        memory.Subcommands.Add(Replicate());
        memory.Subcommands.Add(Diff());
        memory.Subcommands.Add(Merge());
        return memory;
    }

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
                        count = await WithProgressAsync("snapshot", p => $"{p.Read} entries read", throttle: true, progress => sync.SnapshotAsync(source, writer, progress, ct));
                    }

                    await file.CommitAsync(flushToDisk: false, ct);
                }

                Console.WriteLine(Invariant($"snapshot: {count} entries from {source.Name} written to {path} in {watch.Elapsed.TotalSeconds:0.0} s ({Rate(count, watch)} entries/s)"));
                return ExitCodes.Ok;
            });
        });
        return command;
    }

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
                var result = await WithProgressAsync("restore", p => $"{p.Read} lines read, {p.Applied} entries upserted", throttle: true, progress => sync.RestoreAsync(target, reader, progress, ct));
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
                var progress = new SynchronousProgress(p =>
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

    private static void PrintDiff(MemoryDiffResult diff, int listed)
    {
        string Ids(string kind, IReadOnlyList<string> ids) =>
            ids.Count == 0 || listed == 0 ? string.Empty : $"{kind}: {string.Join(", ", ids.Take(listed))}{(ids.Count > listed ? ", …" : string.Empty)}";

        var rows = new List<string[]> { new[] { "user", "in A", "in B", "missing", "extra", "changed", "ids" } };
        foreach (var user in diff.Users)
        {
            var ids = string.Join("; ", new[] { Ids("missing", user.Missing), Ids("extra", user.Extra), Ids("changed", user.Changed) }.Where(s => s.Length > 0));
            rows.Add([user.UserId, Num(user.CountA), Num(user.CountB), Num(user.Missing.Count), Num(user.Extra.Count), Num(user.Changed.Count), ids]);
        }

        // Plain aligned columns: readable in a terminal and stable when piped or parsed by a script.
        var widths = Enumerable.Range(0, 6).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            var cells = row.Take(6).Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]));
            Console.WriteLine((string.Join("  ", cells) + "  " + row[6]).TrimEnd());
        }
    }

    private static string Describe(NativeMemoryEntry entry)
    {
        var text = entry.Text ?? string.Empty;
        text = text.Length > 200 ? text[..200] + "…" : text;
        return Invariant($"createdAt {entry.CreatedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "-"} · user {entry.UserId ?? "-"} · conversation {entry.ConversationId ?? "-"} · \"{text.ReplaceLineEndings(" ")}\"");
    }

    /// <summary>Runs <paramref name="work"/>; a stack failure becomes one line on stderr and exit 1.</summary>
    private static async Task<int> OnStackFailure(Func<Task<int>> work)
    {
        try
        {
            return await work();
        }
        catch (MemorySyncException ex)
        {
            Console.Error.WriteLine("error: " + ex.Message);
            return ExitCodes.Failed;
        }
    }

    private static async Task<T> WithProgressAsync<T>(string title, Func<MemorySyncProgress, string> format, bool throttle, Func<IProgress<MemorySyncProgress>, Task<T>> work)
    {
        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            return await AnsiConsole.Status().StartAsync(title + " …", async context =>
                await work(new SynchronousProgress(p => context.Status($"{title}: {format(p)}"))));
        }

        var last = Stopwatch.StartNew();
        return await work(new SynchronousProgress(p =>
        {
            if (!throttle || last.Elapsed >= TimeSpan.FromSeconds(1))
            {
                Console.WriteLine($"{title}: {format(p)}");
                last.Restart();
            }
        }));
    }

    private static StreamReader OpenText(string path, string option)
    {
        try
        {
            return new StreamReader(path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: cannot read '{path}': {ex.Message}");
        }
    }

    private static string Rate(long count, Stopwatch watch) =>
        (count / Math.Max(watch.Elapsed.TotalSeconds, 0.001)).ToString("0", CultureInfo.InvariantCulture);

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Options every memory command shares: tokens, page size, concurrency.</summary>
    private sealed class CommonOptions(bool pageSizeOnly = false)
    {
        private readonly Option<string?> _tokenEnv = new("--token-env") { Description = "Environment variable holding a bearer token for the stack(s) (never pass the token itself)" };
        private readonly Option<int> _pageSize = new("--page-size") { Description = "Entries per GET /v1/memory page (limit), 1–10000 (default 500)", DefaultValueFactory = _ => 500 };
        private readonly Option<int> _concurrency = new("--concurrency") { Description = "Upserts in flight, 1–64 (default 8)", DefaultValueFactory = _ => 8 };
        private Option<string?>[] _sideTokens = [];

        public void AddTo(Command command, (string First, string Second)? twoStacks)
        {
            command.Options.Add(_tokenEnv);
            if (twoStacks is { } names)
            {
                _sideTokens =
                [
                    new(names.First) { Description = $"Token variable for the first stack only (overrides --token-env)" },
                    new(names.Second) { Description = $"Token variable for the second stack only (overrides --token-env)" },
                ];
                command.Options.Add(_sideTokens[0]);
                command.Options.Add(_sideTokens[1]);
            }

            command.Options.Add(_pageSize);
            if (!pageSizeOnly)
            {
                command.Options.Add(_concurrency);
            }
        }

        public MemorySync Sync(ParseResult parse)
        {
            var pageSize = parse.GetValue(_pageSize);
            if (pageSize is < 1 or > 10_000)
            {
                throw new UsageException(Invariant($"--page-size: {pageSize} must be from 1 to 10000"));
            }

            var concurrency = pageSizeOnly ? 8 : parse.GetValue(_concurrency);
            if (concurrency is < 1 or > 64)
            {
                throw new UsageException(Invariant($"--concurrency: {concurrency} must be from 1 to 64"));
            }

            return new MemorySync(new MemorySyncOptions { PageSize = pageSize, Concurrency = concurrency });
        }

        public MemoryClient Client(ParseResult parse, Symbol urlSymbol, int? side)
        {
            var (name, text) = urlSymbol switch
            {
                Option<string> option => (option.Name, parse.GetValue(option)!),
                Argument<string> argument => (argument.Name.ToUpperInvariant(), parse.GetValue(argument)!),
                _ => throw new ArgumentException("not a URL option", nameof(urlSymbol)),
            };
            var uri = CliArgs.Url(text, name);
            if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                throw new UsageException($"{name}: credentials in the URL are not accepted; use --token-env");
            }

            var tokenOption = side is { } i && _sideTokens.Length > i && parse.GetValue(_sideTokens[i]) is not null ? _sideTokens[i] : _tokenEnv;
            try
            {
                return MemoryClient.Create(uri.AbsoluteUri, parse.GetValue(tokenOption));
            }
            catch (ArgumentException ex)
            {
                throw new UsageException($"{tokenOption.Name}: {ex.Message}");
            }
        }
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    private sealed class SynchronousProgress(Action<MemorySyncProgress> report) : IProgress<MemorySyncProgress>
    {
        private readonly Lock _lock = new();

        public void Report(MemorySyncProgress value)
        {
            lock (_lock)
            {
                report(value);
            }
        }
    }
}
