using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using DualStack.Core.Memory;
using DualStack.Core.Stacks;
using Spectre.Console;

namespace DualStack.Cli;

/// <summary><c>dualstack memory snapshot|restore|replicate|diff|merge</c>: memory sync over contract v1's memory API.</summary>
internal static partial class MemoryCommand
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

    private static async Task<T> WithProgressAsync<T>(string title, Func<MemorySyncProgress, string> format, Func<IProgress<MemorySyncProgress>, Task<T>> work)
    {
        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            return await AnsiConsole.Status().StartAsync(title + " …", async context =>
                await work(new SynchronousProgress<MemorySyncProgress>(p => context.Status($"{title}: {format(p)}"))));
        }

        return await work(new ThrottledProgress<MemorySyncProgress>(TimeSpan.FromSeconds(1), p => Console.WriteLine($"{title}: {format(p)}")));
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
}
