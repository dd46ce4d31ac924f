using System.Text;
using System.Text.Json;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Results;

namespace DualStack.Core.Reports;

/// <summary>Turns verification results into Allure results: one test per conversation, a step per turn, a nested step per dimension.</summary>
public static class AllureConversion
{
    /// <summary>Epic label of Phase 2 results.</summary>
    public const string Phase2Epic = "Phase 2 — verify in isolation";

    /// <summary>Allure status for a verdict: Match/Noise passed, Regression failed, Error broken, NotObserved unknown.</summary>
    public static string Status(Verdict verdict) => verdict switch
    {
        Verdict.Match or Verdict.Noise => AllureStatus.Passed,
        Verdict.Regression => AllureStatus.Failed,
        Verdict.Error => AllureStatus.Broken,
        _ => AllureStatus.Unknown,
    };

    /// <summary>Allure severity for a regression severity (critical → blocker, major → critical, minor → minor, none → normal).</summary>
    public static string Severity(Judgement.Severity severity) => severity switch
    {
        Judgement.Severity.Critical => "blocker",
        Judgement.Severity.Major => "critical",
        Judgement.Severity.Minor => "minor",
        _ => "normal",
    };

    /// <summary>Writes a whole run: one result per conversation plus environment, executor and categories.</summary>
    public static void WriteRun(AllureWriter writer, RunResult run)
    {
        foreach (var conversation in run.Conversations)
        {
            var labels = Labels(run, conversation).ToList();
            var attachments = Attachments(writer, run, conversation);
            var fullName = $"{run.Scenario}.{conversation.Conversation.Id}";
            var start = AllureWriter.Millis(run.StartedAt);
            writer.WriteResult(new AllureResult
            {
                Uuid = AllureWriter.NewUuid(),
                HistoryId = AllureWriter.StableId(fullName),
                TestCaseId = AllureWriter.StableId(fullName),
                Name = conversation.Conversation.Id,
                FullName = fullName,
                Description = Describe(conversation),
                Labels = labels,
                Parameters = [new AllureParameter("old", run.Stacks.Old.Url), new AllureParameter("new", run.Stacks.New.Url)],
                Status = Status(conversation.Verdict),
                StatusDetails = Details(conversation),
                Steps = Steps(conversation, start),
                Attachments = attachments,
                Start = start,
                Stop = start + (long)conversation.Turns.Sum(TurnMillis),
            });
        }

        WriteRunFiles(writer, run);
    }

    /// <summary>Writes environment.properties, executor.json and categories.json for a run.</summary>
    public static void WriteRunFiles(AllureWriter writer, RunResult run)
    {
        writer.WriteEnvironment(new Dictionary<string, string>
        {
            ["scenario"] = run.Scenario,
            ["old.url"] = run.Stacks.Old.Url,
            ["old.version"] = run.Stacks.Old.Version ?? "unknown",
            ["new.url"] = run.Stacks.New.Url,
            ["new.version"] = run.Stacks.New.Version ?? "unknown",
            ["seed"] = run.Seed?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none",
            ["similarity"] = run.Similarity,
            ["run"] = run.RunId,
        });
        writer.WriteExecutor(new AllureExecutor { BuildName = run.RunId, ReportName = $"DualStack {run.Scenario}" });
        writer.WriteCategories();
    }

    /// <summary>Labels of a conversation's result: suites, epic, features (the dimensions that decided), severity, tags.</summary>
    public static IEnumerable<AllureLabel> Labels(RunResult run, ConversationResult conversation)
    {
        yield return new AllureLabel("parentSuite", "Phase 2 verification");
        yield return new AllureLabel("suite", run.Scenario);
        yield return new AllureLabel("subSuite", conversation.Conversation.Source.ToString().ToLowerInvariant());
        yield return new AllureLabel("epic", Phase2Epic);
        var deciding = conversation.Turns.SelectMany(t => t.Dimensions).Where(d => d.Verdict == conversation.Verdict && d.Verdict != Verdict.Match).Select(d => Feature(d.Dimension)).Distinct().ToArray();
        foreach (var feature in deciding.Length > 0 ? deciding : ["reply", "skills", "memory"])
        {
            yield return new AllureLabel("feature", feature);
        }

        yield return new AllureLabel("severity", Severity(conversation.Severity));
        foreach (var tag in conversation.Conversation.Tags)
        {
            yield return new AllureLabel("tag", tag);
        }

        yield return new AllureLabel("framework", "dualstack");
    }

    /// <summary>A step per turn with a nested step per dimension; start times laid out from observed latencies.</summary>
    public static IReadOnlyList<AllureStep> Steps(ConversationResult conversation, long start)
    {
        var steps = new List<AllureStep>();
        var clock = start;
        foreach (var turn in conversation.Turns)
        {
            var duration = (long)TurnMillis(turn);
            steps.Add(new AllureStep
            {
                Name = $"Turn {turn.Index + 1}: {Shorten(turn.Message, 120)}",
                Status = Status(turn.Verdict),
                StatusDetails = turn.Verdict is Verdict.Match ? null : new AllureStatusDetails { Message = turn.Reason },
                Parameters =
                [
                    new AllureParameter("old reply", Shorten(turn.Old.Reply ?? turn.Old.Error?.Message ?? string.Empty, 300)),
                    new AllureParameter("new reply", Shorten(turn.New.Reply ?? turn.New.Error?.Message ?? string.Empty, 300)),
                    new AllureParameter("latency ms (old / old′ / new)", $"{turn.Old.LatencyMs:0} / {(turn.OldRepeat is null ? "-" : turn.OldRepeat.LatencyMs.ToString("0", System.Globalization.CultureInfo.InvariantCulture))} / {turn.New.LatencyMs:0}"),
                ],
                Steps = turn.Dimensions.Select(d => new AllureStep
                {
                    Name = $"{Feature(d.Dimension)}: {d.Verdict}{(d.Verdict == Verdict.Regression ? $" ({d.Severity.ToString().ToLowerInvariant()})" : string.Empty)} — {Shorten(d.Reason, 300)}",
                    Status = Status(d.Verdict),
                    Start = clock,
                    Stop = clock + duration,
                }).ToArray(),
                Start = clock,
                Stop = clock + duration,
            });
            clock += duration;
        }

        return steps;
    }

    /// <summary>The feature label of a dimension.</summary>
    public static string Feature(Dimension dimension) => dimension.ToString().ToLowerInvariant();

    private static List<AllureAttachment> Attachments(AllureWriter writer, RunResult run, ConversationResult conversation)
    {
        var attachments = new List<AllureAttachment>
        {
            writer.AddAttachment("side-by-side diff", "text/html", "html", HtmlReport.RenderConversationDocument(run, conversation)),
            writer.AddAttachment("old stack responses (JSON)", "application/json", "json", RawResponses(conversation, t => t.Old)),
            writer.AddAttachment("new stack responses (JSON)", "application/json", "json", RawResponses(conversation, t => t.New)),
        };
        return attachments;
    }

    private static string RawResponses(ConversationResult conversation, Func<TurnResult, StackObservation> pick)
    {
        var observations = conversation.Turns.Select(pick).ToArray();
        return HtmlReport.RedactSecrets(JsonSerializer.Serialize(observations, DualStackJson.Indented));
    }

    private static AllureStatusDetails? Details(ConversationResult conversation)
    {
        if (conversation.Verdict == Verdict.Match)
        {
            return null;
        }

        var trace = new StringBuilder();
        foreach (var turn in conversation.Turns.Where(t => t.Verdict != Verdict.Match))
        {
            trace.Append("turn ").Append(turn.Index + 1).Append(": ").AppendLine(turn.Message);
            foreach (var d in turn.Dimensions.Where(d => d.Verdict != Verdict.Match))
            {
                trace.Append("  ").Append(Feature(d.Dimension)).Append(' ').Append(d.Verdict).Append(": ").AppendLine(d.Reason);
            }
        }

        var message = conversation.Verdict == Verdict.Noise ? "noise only: " + conversation.Reason : conversation.Reason;
        return new AllureStatusDetails { Message = message, Trace = trace.ToString() };
    }

    private static string Describe(ConversationResult conversation) =>
        $"{conversation.Conversation.Source} conversation of user {conversation.Conversation.UserId} on {conversation.Conversation.Channel}, {conversation.Turns.Count} turns. " +
        $"Lane conversation ids: {string.Join(", ", conversation.LaneIds.Select(kv => $"{kv.Key}={kv.Value}"))}.";

    private static double TurnMillis(TurnResult turn) => Math.Max(turn.Old.LatencyMs, Math.Max(turn.New.LatencyMs, turn.OldRepeat?.LatencyMs ?? 0));

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
