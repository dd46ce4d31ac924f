using System.CommandLine;
using System.Text.Json;
using DualStack.Core.Capture;
using DualStack.Core.Model;
using DualStack.Core.Stacks;
using DualStack.Proxy;
using Microsoft.Extensions.Logging;

namespace DualStack.Cli;

/// <summary><c>dualstack capture</c> and <c>dualstack captures …</c>: Phase 3 (<c>dualstack sandbox</c> is in Embedded/).</summary>
internal static class CaptureCommand
{
    public static Command Build()
    {
        var listen = new Option<string>("--listen") { Description = "Address to listen on, e.g. http://0.0.0.0:8080 (default http://127.0.0.1:8080)", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var old = new Option<string>("--old") { Description = "The old (primary) stack every request is forwarded to", Required = true };
        var store = new Option<string?>("--store") { Description = "Capture store: a SQLite file (default captures.db) or PostgreSQL (postgres://user@host/db or Host=…;Database=…; password from PGPASSWORD or the string); --no-capture to only forward/shadow", DefaultValueFactory = _ => "captures.db" };
        var retain = new Option<string?>("--retain") { Description = "Delete captures and shadow pairs older than this (e.g. 14d, 36h); checked at start and then periodically (default: keep)" };
        var noCapture = new Option<bool>("--no-capture") { Description = "Do not record exchanges" };
        var shadow = new Option<string?>("--shadow") { Description = "New stack to mirror turns to (answers stored as pairs for `dualstack shadow judge`, never returned)" };
        var shadowJudge = new Option<string>("--shadow-judge") { Description = "Where shadow pairs are judged: store (default: the proxy only stores them; run `dualstack shadow judge --source STORE`) or inproc (single-box trials: this process also judges them, loading MiniLM unless --lexical)", DefaultValueFactory = _ => "store" };
        var shadowAdapter = new Option<AdapterKind>("--shadow-adapter") { Description = "Contract of the shadow stack (default native)", DefaultValueFactory = _ => AdapterKind.Native };
        var shadowWorkers = new Option<int>("--shadow-workers") { Description = "Shadow turns mirrored and compared at once, one conversation per worker in order (default 4)", DefaultValueFactory = _ => ProxyOptions.DefaultShadowWorkers };
        var sample = new Option<string>("--sample") { Description = "Share of conversations mirrored, by hash of the key (default 100%)", DefaultValueFactory = _ => "100%" };
        var keyHeader = new Option<string?>("--key-header") { Description = "Header carrying the conversation key (e.g. x-openclaw-session-key)" };
        var keyJson = new Option<string[]>("--key-json") { Description = "JSON paths to the key in the body (default $.conversationId $.user)", AllowMultipleArgumentsPerToken = true };
        var keyRoute = new Option<string[]>("--key-route") { Description = "Route templates with {id} (default /v1/conversations/{id}/turns)", AllowMultipleArgumentsPerToken = true };
        var maxBody = new Option<int>("--max-body") { Description = "Bytes of each body kept (default 65536); longer bodies are cut and flagged", DefaultValueFactory = _ => 64 * 1024 };
        var redact = new Option<string[]>("--redact") { Description = "Extra regexes to redact before disk (e-mails, phones and card numbers always are)", AllowMultipleArgumentsPerToken = true };
        var headers = new Option<string[]>("--allow-header") { Description = "Headers stored with their value (others are stored as [Redacted]; Authorization and cookies never)", AllowMultipleArgumentsPerToken = true };
        var linger = new Option<int>("--batch-linger") { Description = "Milliseconds the capture writer waits to fill a batch before committing (default 10; 0 commits at once)", DefaultValueFactory = _ => 10 };
        var verbose = new Option<bool>("--verbose") { Description = "Log every shadow turn (stored pair, or verdict with --shadow-judge inproc)" };
        var lexical = new Option<bool>("--lexical") { Description = "With --shadow-judge inproc: judge reply meaning lexically (skip the local MiniLM model; reworded replies then read as minor regressions)" };
        var logFormat = CliArgs.LogFormatOption();
        var command = new Command("capture", "Run the capture proxy in front of the old stack: forward everything unchanged, record redacted exchanges to SQLite off the request path, optionally mirror turns to a shadow stack and store both answers for `dualstack shadow judge`. Serves /metrics and /healthz. Runs until Ctrl+C. Exit 0 after Ctrl+C (captures flushed), 2 usage error, port taken or store unusable.");
        foreach (var option in new Option[] { listen, old, store, retain, noCapture, shadow, shadowJudge, shadowAdapter, shadowWorkers, sample, keyHeader, keyJson, keyRoute, maxBody, redact, headers, linger, verbose, lexical, logFormat })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            var judgeMode = parse.GetValue(shadowJudge) switch
            {
                "store" => ShadowJudgeMode.Store,
                "inproc" => ShadowJudgeMode.InProcess,
                var other => throw new UsageException($"--shadow-judge: '{other}' is not store or inproc"),
            };
            var format = CliArgs.LogFormat(parse.GetValue(logFormat)!);
            var tracing = CliArgs.Tracing();
            // The embedding model is loaded only for an explicit in-process judge: by default the proxy never holds it.
            using var semantic = parse.GetValue(shadow) is not null && judgeMode == ShadowJudgeMode.InProcess && !parse.GetValue(lexical) ? new DualStack.Semantic.MiniLmSimilarity() : null;
            var options = new ProxyOptions
            {
                Semantic = semantic,
                ShadowJudge = judgeMode,
                LogFormat = format,
                Tracing = tracing,
                Listen = CliArgs.Url(parse.GetValue(listen)!, "--listen"),
                Old = CliArgs.Url(parse.GetValue(old)!, "--old"),
                StorePath = parse.GetValue(noCapture) ? null : parse.GetValue(store),
                Retain = CliArgs.Retention(parse.GetValue(retain)),
                Shadow = parse.GetValue(shadow) is { } s ? CliArgs.Url(s, "--shadow") : null,
                ShadowAdapter = parse.GetValue(shadowAdapter),
                ShadowWorkers = parse.GetValue(shadowWorkers) is >= 1 and var w ? w : throw new UsageException("--shadow-workers must be 1 or more"),
                ShadowSamplePercent = CliArgs.Percent(parse.GetValue(sample)!, "--sample"),
                Keys = new ConversationKeyOptions
                {
                    Header = parse.GetValue(keyHeader),
                    JsonPaths = parse.GetValue(keyJson) is { Length: > 0 } paths ? paths : new ConversationKeyOptions().JsonPaths,
                    Routes = parse.GetValue(keyRoute) is { Length: > 0 } routes ? routes : new ConversationKeyOptions().Routes,
                },
                Capture = new CaptureOptions
                {
                    MaxBodyBytes = parse.GetValue(maxBody) is > 0 and var m ? m : throw new UsageException("--max-body must be positive"),
                    RedactPatterns = ValidRegexes(parse.GetValue(redact) ?? []),
                    AllowedHeaders = parse.GetValue(headers) is { Length: > 0 } allowed ? [.. new CaptureOptions().AllowedHeaders, .. allowed] : new CaptureOptions().AllowedHeaders,
                    BatchLinger = parse.GetValue(linger) is >= 0 and var ms ? TimeSpan.FromMilliseconds(ms) : throw new UsageException("--batch-linger must be 0 or more milliseconds"),
                },
            };
            ProxyServer proxy;
            try
            {
                proxy = await ProxyServer.StartAsync(options, parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning, ct);
            }
            catch (Exception ex) when (ex is InvalidDataException or ArgumentException)
            {
                throw new UsageException(ex.Message);
            }
            catch (IOException ex)
            {
                throw new UsageException($"--listen: cannot listen on {options.Listen}: {ex.Message}");
            }

            await using (proxy)
            {
                Console.WriteLine($"capture proxy on {proxy.BaseAddress} → {options.Old}; store: {(options.StorePath is null ? "off" : CaptureStores.Describe(options.StorePath))}; shadow: {(options.Shadow is null ? "off" : $"{options.Shadow} ({options.ShadowSamplePercent}% of conversations; {(judgeMode == ShadowJudgeMode.Store ? "pairs stored for `dualstack shadow judge`" : "judged in this process")})")}; metrics at {proxy.BaseAddress}metrics");
                try
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, ct);
                }
                catch (OperationCanceledException)
                {
                }

                await proxy.FlushAsync(CancellationToken.None);
                Console.WriteLine($"stopped: {proxy.Metrics.Requests} requests; captures written {proxy.Writer?.Written ?? 0}, dropped {proxy.Writer?.Dropped ?? 0}; shadow stored {proxy.Metrics.ShadowStored}, compared {proxy.Metrics.ShadowCompared}, dropped {proxy.Metrics.ShadowDropped}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command BuildCaptures()
    {
        var storeOption = () => new Option<string>("--store") { Description = "Capture store: SQLite file (default captures.db) or PostgreSQL connection string", DefaultValueFactory = _ => "captures.db" };
        var list = new Command("list", "One line per captured exchange: id, time, method, path, status, key, duration, truncation. Exit 0 ok, 2 store missing or unusable.");
        var listStore = storeOption();
        var limit = new Option<int>("--limit") { Description = "Lines at most (default 100; 0 = all)", DefaultValueFactory = _ => 100 };
        list.Options.Add(listStore);
        list.Options.Add(limit);
        list.SetAction(async (parse, ct) =>
        {
            await using var store = await Open(parse.GetValue(listStore)!, ct);
            var n = 0;
            var max = parse.GetValue(limit);
            await foreach (var e in store.ReadAsync(0, null, ct))
            {
                Console.WriteLine($"{e.Id}\t{e.Timestamp:O}\t{e.Method}\t{e.Path}\t{e.Status}\t{e.ConversationKey ?? "-"}\t{e.DurationMs:0.0} ms{(e.RequestTruncated || e.ResponseTruncated ? "\ttruncated" : string.Empty)}{(e.Error is null ? string.Empty : "\terror: " + e.Error)}");
                if (max > 0 && ++n >= max)
                {
                    break;
                }
            }

            return ExitCodes.Ok;
        });

        var export = new Command("export", "Export as JSONL: exchanges (default) or conversations usable by `verify --source`. Exit 0 ok, 2 store missing or unusable, or output not writable.");
        var exportStore = storeOption();
        var format = new Option<string>("--format") { Description = "jsonl (default)", DefaultValueFactory = _ => "jsonl" };
        var what = new Option<string>("--as") { Description = "exchanges (default) or conversations", DefaultValueFactory = _ => "exchanges" };
        var output = new Option<string>("--out") { Description = "Output file; '-' for stdout (default)", DefaultValueFactory = _ => "-" };
        export.Options.Add(exportStore);
        export.Options.Add(format);
        export.Options.Add(what);
        export.Options.Add(output);
        export.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(format) != "jsonl")
            {
                throw new UsageException($"--format: '{parse.GetValue(format)}' is not supported (jsonl)");
            }

            await using var store = await Open(parse.GetValue(exportStore)!, ct);
            var path = parse.GetValue(output)!;
            var writer = path == "-" ? Console.Out : new StreamWriter(path);
            var count = 0;
            try
            {
                switch (parse.GetValue(what))
                {
                    case "exchanges":
                        await foreach (var e in store.ReadAsync(0, null, ct))
                        {
                            await writer.WriteLineAsync(JsonSerializer.Serialize(e, DualStackJson.Options));
                            count++;
                        }

                        break;
                    case "conversations":
                        await foreach (var c in CaptureConversations.ReadAsync(store, new ConversationKeyOptions().Routes, ct))
                        {
                            await writer.WriteLineAsync(JsonSerializer.Serialize(c, DualStackJson.Options));
                            count++;
                        }

                        break;
                    default:
                        throw new UsageException($"--as: '{parse.GetValue(what)}' is not exchanges or conversations");
                }
            }
            finally
            {
                if (path != "-")
                {
                    await writer.DisposeAsync();
                }
            }

            if (path != "-")
            {
                Console.Error.WriteLine($"exported {count} lines to {path}");
            }

            return ExitCodes.Ok;
        });

        var stats = new Command("stats", "Counts: exchanges, conversations, time range, truncated, errors. Exit 0 ok, 2 store missing or unusable.");
        var statsStore = storeOption();
        stats.Options.Add(statsStore);
        stats.SetAction(async (parse, ct) =>
        {
            await using var store = await Open(parse.GetValue(statsStore)!, ct);
            var s = await store.GetStatsAsync(ct);
            Console.WriteLine($"exchanges {s.Exchanges} · conversations {s.Conversations} · from {s.First?.ToString("O") ?? "-"} to {s.Last?.ToString("O") ?? "-"} · truncated {s.Truncated} · errors {s.Errors}");
            return ExitCodes.Ok;
        });

        var prune = new Command("prune", "Delete captures and shadow pairs older than --retain (the same rule `capture --retain` applies periodically). Exit 0 ok, 2 store missing or unusable, or bad --retain.");
        var pruneStore = storeOption();
        var pruneRetain = new Option<string>("--retain") { Description = "Keep this much, e.g. 14d, 36h, 2w", Required = true };
        prune.Options.Add(pruneStore);
        prune.Options.Add(pruneRetain);
        prune.SetAction(async (parse, ct) =>
        {
            var keep = CliArgs.Retention(parse.GetValue(pruneRetain))!.Value;
            await using var store = await Open(parse.GetValue(pruneStore)!, ct);
            // One reading of the clock: the cut-off reported is the one applied.
            var cutoff = TimeProvider.System.GetUtcNow() - keep;
            // A backlog of months takes minutes: the counts so far, at most every 5 s, on standard error.
            var deleted = await store.DeleteBeforeAsync(cutoff, PruneProgress(Console.Error), ct);
            Console.WriteLine($"deleted {deleted.Exchanges} exchanges and {deleted.ShadowPairs} shadow pairs recorded before {cutoff:O}");
            return ExitCodes.Ok;
        });

        var captures = new Command("captures", "Inspect, export and prune a capture store (SQLite file or PostgreSQL).");
        captures.Subcommands.Add(prune);
        captures.Subcommands.Add(list);
        captures.Subcommands.Add(export);
        captures.Subcommands.Add(stats);
        return captures;
    }

    /// <summary>What <c>captures prune</c> prints while it deletes: the counts so far, at most every 5 s.</summary>
    internal static IProgress<Pruned> PruneProgress(TextWriter output, TimeProvider? time = null) =>
        new ThrottledProgress<Pruned>(TimeSpan.FromSeconds(5), p => output.WriteLine($"deleted {p.Exchanges} exchanges and {p.ShadowPairs} shadow pairs so far…"), time);

    internal static async Task<ICaptureStore> Open(string value, CancellationToken ct, string option = "--store")
    {
        if (!Core.Postgres.PostgresConnection.IsPostgres(value) && !File.Exists(value))
        {
            throw new UsageException($"{option}: '{value}' does not exist");
        }

        try
        {
            return await CaptureStores.OpenAsync(value, ct, option);
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException)
        {
            throw new UsageException(ex.Message);
        }
    }


    private static IReadOnlyList<string> ValidRegexes(string[] patterns)
    {
        foreach (var pattern in patterns)
        {
            try
            {
                _ = new System.Text.RegularExpressions.Regex(pattern);
            }
            catch (ArgumentException ex)
            {
                throw new UsageException($"--redact: '{pattern}' is not a valid regex: {ex.Message}");
            }
        }

        return patterns;
    }
}
