using System.CommandLine;
using System.Globalization;
using DualStack.Core.Config;
using DualStack.Core.Gates;
using DualStack.Core.Routing;
using DualStack.Proxy;
using Microsoft.Extensions.Logging;
using Refit;

namespace DualStack.Cli;

/// <summary><c>dualstack split</c> (run the split proxy) and <c>split status|set|advance|rollback|promote</c> (drive it through the admin API).</summary>
internal static class SplitCommand
{
    public static Command Build()
    {
        var listen = new Option<string>("--listen") { Description = "Address to listen on (default http://127.0.0.1:8080)", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var old = new Option<string>("--old") { Description = "Old stack URL", Required = true };
        var @new = new Option<string>("--new") { Description = "New stack URL", Required = true };
        var percent = new Option<string>("--percent") { Description = "Initial share of conversations on the new stack (default 0%)", DefaultValueFactory = _ => "0" };
        var ramp = new Option<string?>("--ramp") { Description = "Ramp plan (e.g. scenarios/ramp.json): steps, hold, gates; advances and rolls back automatically" };
        var store = new Option<string?>("--store") { Description = "Also capture exchanges to this store: a SQLite file or a PostgreSQL connection string" };
        var retain = new Option<string?>("--retain") { Description = "Delete captures and shadow pairs older than this (e.g. 14d)" };
        var sharedState = new Option<string?>("--shared-state") { Description = "PostgreSQL connection string: share percentage, ramp step, rollback, pins and the audit log with every instance using the same database" };
        var statePoll = new Option<int>("--state-poll-ms") { Description = "With --shared-state: read the shared state at least this often besides LISTEN/NOTIFY (default 1000)", DefaultValueFactory = _ => 1000 };
        var shadow = new Option<string?>("--shadow") { Description = "Also mirror old-served turns to this stack" };
        var audit = new Option<string?>("--audit") { Description = "Audit log (JSONL) of every change (default split-audit.jsonl; with --shared-state the audit is the split_audit table and no file is written unless given)" };
        var pinIdle = new Option<int>("--pin-idle-minutes") { Description = "A conversation stays on its stack until idle this long (default 30)", DefaultValueFactory = _ => 30 };
        var tokenEnv = TokenEnvOption();
        var tokenFile = TokenFileOption();
        var logFormat = CliArgs.LogFormatOption();
        var command = new Command("split", "Run the split proxy: route a percentage of conversations (sticky, by hash of the conversation key) to the new stack, watch error rate and p95 per stack, roll back automatically when a gate breaks. Admin API and dashboard at /admin (token required). Subcommands drive a running proxy. Exit 0 after Ctrl+C (captures flushed), 2 usage or config error (ramp plan, admin token, port taken).");
        foreach (var option in new Option[] { listen, old, @new, percent, ramp, store, retain, sharedState, statePoll, shadow, audit, pinIdle, tokenEnv, tokenFile, logFormat })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            var format = CliArgs.LogFormat(parse.GetValue(logFormat)!);
            var tracing = CliArgs.Tracing();
            var token = CliArgs.Token(parse.GetValue(tokenEnv), parse.GetValue(tokenFile));
            RampPlan? plan = null;
            if (parse.GetValue(ramp) is { } rampPath)
            {
                plan = LoadRamp(rampPath);
            }

            // Shadow answers are judged by meaning with the local MiniLM model, as in capture mode.
            using var semantic = parse.GetValue(shadow) is not null ? new DualStack.Semantic.MiniLmSimilarity() : null;
            var options = new ProxyOptions
            {
                Semantic = semantic,
                LogFormat = format,
                Tracing = tracing,
                Listen = CliArgs.Url(parse.GetValue(listen)!, "--listen"),
                Old = CliArgs.Url(parse.GetValue(old)!, "--old"),
                New = CliArgs.Url(parse.GetValue(@new)!, "--new"),
                StorePath = parse.GetValue(store),
                Retain = CliArgs.Retention(parse.GetValue(retain)),
                Shadow = parse.GetValue(shadow) is { } s ? CliArgs.Url(s, "--shadow") : null,
                Split = new SplitSettings
                {
                    InitialPercent = CliArgs.Percent(parse.GetValue(percent)!, "--percent"),
                    Ramp = plan,
                    AdminToken = token,
                    AuditPath = parse.GetValue(audit) ?? (parse.GetValue(sharedState) is null ? "split-audit.jsonl" : null),
                    Shared = parse.GetValue(sharedState) is { } conn
                        ? new SharedStateSettings
                        {
                            ConnectionString = conn,
                            PollInterval = parse.GetValue(statePoll) is > 0 and var pollMs ? TimeSpan.FromMilliseconds(pollMs) : throw new UsageException($"--state-poll-ms: {parse.GetValue(statePoll)} must be positive"),
                            StaleAfter = TimeSpan.FromMilliseconds(Math.Max(5000, 3 * parse.GetValue(statePoll))),
                        }
                        : null,
                    PinIdleTimeout = TimeSpan.FromMinutes(Math.Max(1, parse.GetValue(pinIdle))),
                },
            };
            ProxyServer proxy;
            try
            {
                proxy = await ProxyServer.StartAsync(options, LogLevel.Warning, ct);
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
                Console.WriteLine($"split proxy on {proxy.BaseAddress}: old {options.Old}, new {options.New}, {options.Split.InitialPercent}% of conversations to new; ramp {(plan is null ? "off (gates still roll back automatically)" : string.Join(" → ", plan.Steps.Select(x => x + "%")))}; dashboard {proxy.BaseAddress}admin/ui; audit {(options.Split.Shared is { } sh ? "split_audit table, state shared through " + Core.Postgres.PostgresConnection.Redact(sh.ConnectionString) : options.Split.AuditPath)}");
                try
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, ct);
                }
                catch (OperationCanceledException)
                {
                }

                await proxy.FlushAsync(CancellationToken.None);
            }

            return ExitCodes.Ok;
        });

        command.Subcommands.Add(Admin("status", "Print the split, per-stack metrics, gates and recent history.", null, (api, _, ct) => api.GetStateAsync(ct)));
        var value = new Argument<string>("percent") { Description = "New share of conversations on the new stack, e.g. 25 or 25%" };
        command.Subcommands.Add(Admin("set", "Set the percentage (raising it only moves conversations old → new).", value, (api, parse, ct) => api.SetPercentAsync(new SetPercentRequest(CliArgs.Percent(parse.GetValue(value)!, "percent"), parse.GetValue(ReasonOption)), ct)));
        command.Subcommands.Add(Admin("advance", "Advance the ramp to its next step.", null, (api, parse, ct) => api.AdvanceAsync(new ReasonRequest(parse.GetValue(ReasonOption)), ct)));
        command.Subcommands.Add(Admin("rollback", "Send all traffic to the old stack now; the reason is recorded.", null, (api, parse, ct) => api.RollbackAsync(new ReasonRequest(parse.GetValue(ReasonOption)), ct)));
        command.Subcommands.Add(Admin("promote", "Send all conversations to the new stack (100 %).", null, (api, parse, ct) => api.PromoteAsync(new ReasonRequest(parse.GetValue(ReasonOption)), ct)));
        return command;
    }

    private static readonly Option<string?> ReasonOption = new("--reason") { Description = "Why (recorded in the audit log)" };

    private static Option<string?> TokenEnvOption() => new("--token-env") { Description = "Environment variable holding the admin token (default DUALSTACK_ADMIN_TOKEN)", DefaultValueFactory = _ => "DUALSTACK_ADMIN_TOKEN" };

    private static Option<string?> TokenFileOption() => new("--token-file") { Description = "File holding the admin token (instead of the environment)" };

    private static Command Admin(string name, string description, Argument<string>? argument, Func<ISplitAdminApi, ParseResult, CancellationToken, Task<SplitStatus>> call)
    {
        var proxy = new Option<string>("--proxy") { Description = "Split proxy URL (default http://127.0.0.1:8080)", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var tokenEnv = TokenEnvOption();
        var tokenFile = TokenFileOption();
        var command = new Command(name, description + " Exit 0 ok, 1 the proxy refused or is unreachable, 2 usage error.");
        if (argument is not null)
        {
            command.Arguments.Add(argument);
        }

        command.Options.Add(proxy);
        command.Options.Add(tokenEnv);
        command.Options.Add(tokenFile);
        command.Options.Add(ReasonOption);
        command.SetAction(async (parse, ct) =>
        {
            var api = SplitAdminClient.Create(CliArgs.Url(parse.GetValue(proxy)!, "--proxy"), CliArgs.Token(parse.GetValue(tokenEnv), parse.GetValue(tokenFile)));
            try
            {
                Print(await call(api, parse, ct));
                return ExitCodes.Ok;
            }
            catch (ApiException ex)
            {
                Console.Error.WriteLine($"error: the proxy answered {(int)ex.StatusCode}: {ex.Content}");
                return ExitCodes.Failed;
            }
            catch (Exception ex) when (ex is HttpRequestException or ApiRequestException)
            {
                // Refit 16 wraps transport failures in ApiRequestException; both mean the proxy is unreachable (exit 1, as documented).
                Console.Error.WriteLine($"error: cannot reach the split proxy at {parse.GetValue(proxy)}: {ex.Message}");
                return ExitCodes.Failed;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Console.Error.WriteLine($"error: the split proxy at {parse.GetValue(proxy)} did not answer in time");
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    private static void Print(SplitStatus status)
    {
        var split = status.Split;
        Console.WriteLine($"split: {split.Percent.ToString(CultureInfo.InvariantCulture)}% to new{(split.RolledBack ? $" — ROLLED BACK: {split.RollbackReason}" : string.Empty)} (version {split.Version}, changed {split.ChangedAt:O}, {split.PinCount} pinned conversations)");
        Console.WriteLine($"old: {status.Old.Requests} req, error rate {status.Old.ErrorRate:P2}, p50 {status.Old.P50Ms:0.0} ms, p95 {status.Old.P95Ms:0.0} ms, p99 {status.Old.P99Ms:0.0} ms");
        Console.WriteLine($"new: {status.New.Requests} req, error rate {status.New.ErrorRate:P2}, p50 {status.New.P50Ms:0.0} ms, p95 {status.New.P95Ms:0.0} ms, p99 {status.New.P99Ms:0.0} ms");
        foreach (var gate in status.Gates)
        {
            Console.WriteLine($"gate {gate.Name}: {gate.Status} — {gate.Evidence}");
        }

        foreach (var entry in status.History.Take(5))
        {
            Console.WriteLine($"{entry.At:O} {entry.Who} {entry.Action} {entry.FromPercent}% → {entry.ToPercent}%: {entry.Reason}");
        }
    }


    private static RampPlan LoadRamp(string path)
    {
        try
        {
            return RampPlanLoader.Load(path);
        }
        catch (Exception ex) when (ex is ConfigException or InvalidDataException or IOException or ArgumentException)
        {
            throw new UsageException(ex.Message);
        }
    }

}
