using System.Buffers;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Results;

namespace DualStack.Core.Reports;

/// <summary>
/// Renders a run as one self-contained HTML page (inline CSS and script, no external URL of any kind, so it opens
/// from <c>file://</c>): run header, summary tiles, turns per dimension, difference keys against the noise floor, and
/// the conversations worst first, filterable by verdict and searchable, each with side-by-side replies and word diff,
/// skill calls, memory, latency, errors and the raw responses.
/// </summary>
/// <remarks>
/// Every text is HTML-encoded; bearer tokens and authorization values are redacted from every text as defence in
/// depth (a run result holds no credentials, but a stack may echo them in a body or an error message).
/// </remarks>
public static partial class HtmlReport
{
    private const string FileName = "index.html";
    private const string Redacted = "[redacted]";

    private static readonly Verdict[] VerdictsWorstFirst = [Verdict.Regression, Verdict.Error, Verdict.NotObserved, Verdict.Noise, Verdict.Match];
    private static readonly Severity[] SeveritiesWorstFirst = [Severity.Critical, Severity.Major, Severity.Minor];
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);
    private static readonly JsonWriterOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions IndentedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };

    // The page allows only its own inline script (by hash) and inline styles: even an encoding bug cannot run or load anything.
    private static readonly string ScriptHash = "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Script)));

    /// <summary>Renders the whole report as one HTML document.</summary>
    /// <param name="result">The run to render.</param>
    /// <returns>The HTML text (UTF-8 when written).</returns>
    public static string Render(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var builder = new StringBuilder(EstimateCapacity(result));
        using var w = new StringWriter(builder, CultureInfo.InvariantCulture);
        WriteDocument(w, result);
        w.Flush();
        return builder.ToString();
    }

    /// <summary>
    /// Writes the report to <c>&lt;directory&gt;/index.html</c> atomically (temp file in the same folder, then a move),
    /// creating the folder when missing.
    /// </summary>
    /// <param name="result">The run to render.</param>
    /// <param name="directory">Target folder, usually the run folder <c>reports/&lt;run-id&gt;</c>.</param>
    /// <param name="cancellationToken">Cancels the write; no partial <c>index.html</c> is left behind.</param>
    /// <returns>The full path of the written file.</returns>
    public static async Task<string> WriteAsync(RunResult result, string directory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var html = Render(result);
        var path = Path.GetFullPath(Path.Combine(directory, FileName));
        await AtomicFile.WriteAsync(path, Utf8NoBom.GetBytes(html), cancellationToken).ConfigureAwait(false);
        return path;
    }

    /// <summary>
    /// A self-contained page for one conversation (run header plus the conversation, expanded): the side-by-side diff
    /// attached to Allure results, rendered by the same code as the full report.
    /// </summary>
    public static string RenderConversationDocument(RunResult run, ConversationResult conversation)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(conversation);
        var builder = new StringBuilder(16 * 1024);
        using var w = new StringWriter(builder, CultureInfo.InvariantCulture);
        w.Write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        w.Write("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n<title>DualStack ");
        Enc(w, conversation.Conversation.Id);
        w.Write("</title>\n<style>");
        w.Write(Css);
        w.Write("</style>\n</head>\n<body>\n");
        WriteHeader(w, run);
        var start = builder.Length;
        WriteConversation(w, conversation);
        w.Flush();
        var open = builder.ToString(start, builder.Length - start);
        builder.Length = start;
        builder.Append(open.Replace("<details class=\"conversation\"", "<details open class=\"conversation\"", StringComparison.Ordinal));
        builder.Append("</body>\n</html>\n");
        return builder.ToString();
    }

    /// <summary>Removes Authorization headers and bearer tokens from text bound for a report or attachment.</summary>
    public static string RedactSecrets(string text) => Redact(text);

    private static int EstimateCapacity(RunResult result)
    {
        long estimate = 64 * 1024;
        foreach (var conversation in result.Conversations)
        {
            foreach (var turn in conversation.Turns)
            {
                estimate += 6 * 1024 + (turn.Old.RawResponse?.Length ?? 0) + (turn.OldRepeat?.RawResponse?.Length ?? 0) + (turn.New.RawResponse?.Length ?? 0);
            }
        }

        return (int)Math.Min(estimate, 256L * 1024 * 1024);
    }

    private static void WriteDocument(TextWriter w, RunResult result)
    {
        w.Write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        w.Write("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src '");
        w.Write(ScriptHash);
        w.Write("'\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<link rel=\"icon\" href=\"data:,\">\n<title>DualStack ");
        Enc(w, result.RunId);
        w.Write(" — ");
        Enc(w, result.Scenario);
        w.Write("</title>\n<style>");
        w.Write(Css);
        w.Write("</style>\n</head>\n<body>\n");
        WriteHeader(w, result);
        WriteSummary(w, result);
        WriteConversations(w, result);
        w.Write("<script>");
        w.Write(Script);
        w.Write("</script>\n</body>\n</html>\n");
    }

    private static void WriteHeader(TextWriter w, RunResult result)
    {
        w.Write("<header class=\"run-header\">\n<h1>DualStack run <span id=\"run-id\">");
        Enc(w, result.RunId);
        w.Write("</span></h1>\n");
        if (result.Cancelled)
        {
            w.Write("<div id=\"cancelled-banner\" class=\"banner-cancelled\" role=\"alert\"><strong>Cancelled:</strong> the run was interrupted; this report holds only what completed, and unfinished conversations are marked incomplete (verdict Error).</div>\n");
        }

        w.Write("<dl class=\"run-facts\">\n");
        Fact(w, "Scenario", result.Scenario);
        FactStack(w, "Old stack (A, A′)", result.Stacks.Old);
        FactStack(w, "New stack (B)", result.Stacks.New);
        Fact(w, "Seed", result.Seed?.ToString(CultureInfo.InvariantCulture) ?? "none (no synthetic conversations)");
        Fact(w, "Reply similarity", result.Similarity);
        Fact(w, "Started", result.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        Fact(w, "Finished", result.FinishedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        Fact(w, "Duration", FormatDuration(result.FinishedAt - result.StartedAt));
        w.Write("</dl>\n</header>\n");
    }

    private static void Fact(TextWriter w, string name, string value)
    {
        w.Write("<div><dt>");
        Enc(w, name);
        w.Write("</dt><dd>");
        Enc(w, value);
        w.Write("</dd></div>\n");
    }

    private static void FactStack(TextWriter w, string name, StackInfo stack)
    {
        w.Write("<div><dt>");
        Enc(w, name);
        w.Write("</dt><dd><code>");
        Enc(w, stack.Url);
        w.Write("</code> · ");
        Enc(w, stack.Name);
        w.Write(" · version ");
        Enc(w, stack.Version ?? "unknown");
        w.Write("</dd></div>\n");
    }

    private static void WriteSummary(TextWriter w, RunResult result)
    {
        var summary = result.Summary;
        w.Write("<section id=\"summary\">\n<h2>Summary</h2>\n<p class=\"totals\">");
        w.Write(Num(summary.Conversations));
        w.Write(" conversations · ");
        w.Write(Num(summary.Turns));
        w.Write(" turns</p>\n<div class=\"tiles\" id=\"verdict-tiles\">\n");
        foreach (var verdict in VerdictsWorstFirst)
        {
            var name = Name(verdict);
            var count = summary.ByVerdict.GetValueOrDefault(verdict);
            w.Write("<button type=\"button\" class=\"tile v-");
            w.Write(name);
            w.Write(count == 0 ? " zero" : string.Empty);
            w.Write("\" id=\"tile-");
            w.Write(name);
            w.Write("\" data-filter=\"");
            w.Write(name);
            w.Write("\" title=\"Show only these conversations\"><span class=\"tile-count\">");
            w.Write(Num(count));
            w.Write("</span><span class=\"tile-label\">");
            w.Write(Label(verdict));
            w.Write("</span></button>\n");
        }

        w.Write("</div>\n<div class=\"tiles\" id=\"severity-tiles\">\n");
        foreach (var severity in SeveritiesWorstFirst)
        {
            var name = Name(severity);
            var count = summary.RegressionsBySeverity.GetValueOrDefault(severity);
            w.Write("<div class=\"tile s-");
            w.Write(name);
            w.Write(count == 0 ? " zero" : string.Empty);
            w.Write("\" id=\"tile-severity-");
            w.Write(name);
            w.Write("\"><span class=\"tile-count\">");
            w.Write(Num(count));
            w.Write("</span><span class=\"tile-label\">");
            w.Write(name);
            w.Write(" regressions</span></div>\n");
        }

        w.Write("</div>\n");
        w.Write(Legend);
        WriteDimensionTable(w, summary);
        WriteKeysTable(w, result);
        w.Write("</section>\n");
    }

    private static void WriteDimensionTable(TextWriter w, RunSummary summary)
    {
        w.Write("<h3>Turns per dimension</h3>\n<table id=\"by-dimension\" class=\"grid\">\n<thead><tr><th>dimension</th>");
        foreach (var verdict in VerdictsWorstFirst)
        {
            w.Write("<th>");
            w.Write(Label(verdict));
            w.Write("</th>");
        }

        w.Write("</tr></thead>\n<tbody>\n");
        foreach (var dimension in Enum.GetValues<Dimension>())
        {
            var counts = summary.ByDimension.GetValueOrDefault(dimension);
            w.Write("<tr data-dimension=\"");
            w.Write(Name(dimension));
            w.Write("\"><th>");
            w.Write(Name(dimension));
            w.Write("</th>");
            foreach (var verdict in VerdictsWorstFirst)
            {
                var count = counts?.GetValueOrDefault(verdict) ?? 0;
                w.Write(count == 0 ? "<td class=\"num zero\">" : $"<td class=\"num v-{Name(verdict)}\">");
                w.Write(Num(count));
                w.Write("</td>");
            }

            w.Write("</tr>\n");
        }

        w.Write("</tbody>\n</table>\n");
    }

    private static void WriteKeysTable(TextWriter w, RunResult result)
    {
        w.Write("<h3>Difference keys</h3>\n<p class=\"hint\">Raw = turns where old (A) and new (B) differ under the key; noise = turns where old differs from itself (A vs A′). A key is <em>reported</em> only when raw exceeds noise by both aggregation thresholds (relative ");
        w.Write(result.Comparison.Aggregation.RelativeThreshold.ToString("0.###", CultureInfo.InvariantCulture));
        w.Write(", absolute ");
        w.Write(result.Comparison.Aggregation.AbsoluteThreshold.ToString("0.#####", CultureInfo.InvariantCulture));
        w.Write(" per turn); findings under unreported keys count as noise.</p>\n");
        if (result.Keys.Count == 0)
        {
            w.Write("<p id=\"keys-empty\" class=\"muted\">No differences between old and new, nor between old and itself.</p>\n");
            return;
        }

        w.Write("<table id=\"keys\" class=\"grid\">\n<thead><tr><th>key</th><th>raw (A≠B)</th><th>noise (A≠A′)</th><th>turns</th><th>reported</th></tr></thead>\n<tbody>\n");
        var keys = result.Keys.OrderByDescending(k => k.Reported).ThenByDescending(k => k.Raw - k.Noise).ThenBy(k => k.Key, StringComparer.Ordinal);
        foreach (var key in keys)
        {
            w.Write(key.Reported ? "<tr class=\"reported\">" : "<tr>");
            w.Write("<td><code>");
            Enc(w, key.Key);
            w.Write("</code></td><td class=\"num\">");
            w.Write(Num(key.Raw));
            w.Write("</td><td class=\"num\">");
            w.Write(Num(key.Noise));
            w.Write("</td><td class=\"num\">");
            w.Write(Num(key.Turns));
            w.Write(key.Reported ? "</td><td class=\"flag\">yes — beyond noise</td></tr>\n" : "</td><td class=\"muted\">no — within noise</td></tr>\n");
        }

        w.Write("</tbody>\n</table>\n");
    }

    private static void WriteConversations(TextWriter w, RunResult result)
    {
        var counts = result.Conversations.CountBy(c => c.Verdict).ToDictionary(p => p.Key, p => p.Value);
        w.Write("<section id=\"conversations-section\">\n<h2>Conversations</h2>\n<div class=\"toolbar\">\n<div class=\"filters\" role=\"group\" aria-label=\"Filter by verdict\">\n");
        w.Write("<button type=\"button\" class=\"filter active\" id=\"filter-all\" data-filter=\"all\" aria-pressed=\"true\">All <span class=\"count\">");
        w.Write(Num(result.Conversations.Count));
        w.Write("</span></button>\n");
        foreach (var verdict in VerdictsWorstFirst)
        {
            var name = Name(verdict);
            w.Write("<button type=\"button\" class=\"filter v-");
            w.Write(name);
            w.Write("\" id=\"filter-");
            w.Write(name);
            w.Write("\" data-filter=\"");
            w.Write(name);
            w.Write("\" aria-pressed=\"false\">");
            w.Write(Label(verdict));
            w.Write(" <span class=\"count\">");
            w.Write(Num(counts.GetValueOrDefault(verdict)));
            w.Write("</span></button>\n");
        }

        w.Write("</div>\n<input type=\"search\" id=\"search\" placeholder=\"Search id, tag or message…\" aria-label=\"Search conversations by id, tag or message\" autocomplete=\"off\">\n");
        w.Write("<button type=\"button\" id=\"expand-all\">Expand shown</button><button type=\"button\" id=\"collapse-all\">Collapse all</button>\n");
        w.Write("<span id=\"shown-count\" class=\"muted\" aria-live=\"polite\"></span>\n</div>\n");
        w.Write("<p id=\"no-match\" class=\"muted\" hidden>No conversation matches the filter.</p>\n<div id=\"conversations\">\n");

        // Worst first: Regression, Error, NotObserved, Noise, Match; then severity; then the run's order (OrderBy is stable).
        foreach (var conversation in result.Conversations.OrderByDescending(c => c.Verdict).ThenByDescending(c => c.Severity))
        {
            WriteConversation(w, conversation);
        }

        w.Write("</div>\n</section>\n");
    }

    private static void WriteConversation(TextWriter w, ConversationResult result)
    {
        var conversation = result.Conversation;
        w.Write("<details class=\"conversation\" data-verdict=\"");
        w.Write(Name(result.Verdict));
        w.Write("\" data-severity=\"");
        w.Write(Name(result.Severity));
        w.Write("\" data-conversation-id=\"");
        Enc(w, conversation.Id);
        w.Write("\" data-search=\"");
        Enc(w, SearchText(result));
        w.Write("\">\n<summary class=\"conv-summary\"><span class=\"conv-id\">");
        Enc(w, conversation.Id);
        w.Write("</span> ");
        Badge(w, result.Verdict);
        if (result.Verdict == Verdict.Regression)
        {
            w.Write(" ");
            SeverityBadge(w, result.Severity);
        }

        w.Write(" <span class=\"turn-count\">");
        w.Write(Num(result.Turns.Count));
        if (!result.Completed)
        {
            w.Write(" of ");
            w.Write(Num(conversation.Turns.Count));
        }

        w.Write(result.Turns.Count == 1 && result.Completed ? " turn" : " turns");
        w.Write("</span>");
        if (!result.Completed)
        {
            w.Write(" <span class=\"incomplete\">incomplete</span>");
        }

        w.Write(" <span class=\"conv-reason\">");
        Enc(w, result.Reason);
        w.Write("</span></summary>\n<div class=\"conv-body\">\n<p class=\"conv-meta\">user <code>");
        Enc(w, conversation.UserId);
        w.Write("</code> · channel ");
        Enc(w, conversation.Channel);
        w.Write(" · ");
        w.Write(Name(conversation.Source));
        if (conversation.Tags.Count > 0)
        {
            w.Write(" · tags");
            foreach (var tag in conversation.Tags)
            {
                w.Write(" <span class=\"tag\">");
                Enc(w, tag);
                w.Write("</span>");
            }
        }

        w.Write(" · lane ids");
        foreach (var (lane, id) in result.LaneIds)
        {
            w.Write(" <code title=\"");
            w.Write(LaneLabel(lane));
            w.Write("\">");
            Enc(w, id);
            w.Write("</code>");
        }

        w.Write("</p>\n");
        foreach (var turn in result.Turns)
        {
            WriteTurn(w, turn);
        }

        w.Write("</div>\n</details>\n");
    }

    private static string SearchText(ConversationResult result)
    {
        var conversation = result.Conversation;
        var text = new StringBuilder(conversation.Id.Length + 64);
        text.Append(conversation.Id);
        foreach (var tag in conversation.Tags)
        {
            text.Append('\n').Append(tag);
        }

        foreach (var turn in conversation.Turns)
        {
            text.Append('\n').Append(turn.Message);
        }

        return text.ToString().ToLowerInvariant();
    }

    private static void WriteTurn(TextWriter w, TurnResult turn)
    {
        DimensionResult? reply = null;
        DimensionResult? skills = null;
        DimensionResult? memory = null;
        DimensionResult? latency = null;
        foreach (var dimension in turn.Dimensions)
        {
            switch (dimension.Dimension)
            {
                case Dimension.Reply: reply = dimension; break;
                case Dimension.Skills: skills = dimension; break;
                case Dimension.Memory: memory = dimension; break;
                case Dimension.Latency: latency = dimension; break;
            }
        }

        w.Write("<section class=\"turn v-");
        w.Write(Name(turn.Verdict));
        w.Write("\" data-turn=\"");
        w.Write(Num(turn.Index + 1));
        w.Write("\" data-verdict=\"");
        w.Write(Name(turn.Verdict));
        w.Write("\">\n<h4>Turn ");
        w.Write(Num(turn.Index + 1));
        w.Write(" ");
        Badge(w, turn.Verdict);
        if (turn.Verdict == Verdict.Regression)
        {
            w.Write(" ");
            SeverityBadge(w, turn.Severity);
        }

        w.Write(" <span class=\"turn-reason\">");
        Enc(w, turn.Reason);
        w.Write("</span></h4>\n<div class=\"user-message\"><span class=\"who\">User</span> ");
        Enc(w, turn.Message);
        w.Write("</div>\n");

        WriteReplies(w, turn, reply?.Reply);
        WriteDimensions(w, turn.Dimensions);
        WriteErrors(w, turn);
        w.Write("<div class=\"panels\">\n");
        WriteSkills(w, turn, skills);
        WriteMemory(w, turn, memory);
        w.Write("</div>\n");
        WriteLatency(w, turn, latency);
        WriteRaw(w, turn);
        w.Write("</section>\n");
    }

    private static void WriteReplies(TextWriter w, TurnResult turn, ReplyDetail? detail)
    {
        var segments = detail is { Diff.Count: > 0 } ? detail.Diff
            : detail is not null && turn.Old.Reply is { } a && turn.New.Reply is { } b && !string.Equals(a, b, StringComparison.Ordinal) ? TextDiff.Words(a, b)
            : null;
        var diff = segments is { Count: > 0 } && turn.Old.Succeeded && turn.New.Succeeded ? Coalesce(segments) : null;
        w.Write("<div class=\"replies\">\n<div class=\"reply reply-old\"><div class=\"col-head\">Old (A) · ");
        Enc(w, turn.Old.Stack);
        w.Write("</div><div class=\"reply-text\">");
        WriteReplyText(w, diff, DiffKind.Deleted, turn.Old);
        w.Write("</div>");
        if (turn.OldRepeat is { } repeat)
        {
            w.Write("<div class=\"reply-repeat\"><span class=\"who\">A′ (old again)</span> ");
            WriteReplyOrError(w, repeat);
            w.Write("</div>");
        }

        w.Write("</div>\n<div class=\"reply reply-new\"><div class=\"col-head\">New (B) · ");
        Enc(w, turn.New.Stack);
        w.Write("</div><div class=\"reply-text\">");
        WriteReplyText(w, diff, DiffKind.Inserted, turn.New);
        w.Write("</div></div>\n</div>\n");
        if (detail is not null)
        {
            WriteReplyScores(w, detail);
        }
    }

    private static void WriteReplyOrError(TextWriter w, StackObservation observation)
    {
        if (observation.Error is { } error)
        {
            w.Write("<span class=\"no-reply\">no reply — ");
            w.Write(Name(error.Kind));
            w.Write("</span>");
        }
        else
        {
            Enc(w, observation.Reply ?? string.Empty);
        }
    }

    /// <summary>
    /// Joins a short run of punctuation that the word chunker left "equal" between two changes (the "." in
    /// 25.00 → 27.50) into both sides, so a changed number reads as one highlighted token instead of fragments.
    /// </summary>
    private static List<DiffSegment> Coalesce(IReadOnlyList<DiffSegment> segments)
    {
        var result = new List<DiffSegment>(segments.Count + 4);
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            if (segment.Kind == DiffKind.Equal && i > 0 && i < segments.Count - 1
                && segments[i - 1].Kind != DiffKind.Equal && segments[i + 1].Kind != DiffKind.Equal
                && IsGlue(segment.Text))
            {
                result.Add(new DiffSegment(DiffKind.Deleted, segment.Text));
                result.Add(new DiffSegment(DiffKind.Inserted, segment.Text));
            }
            else
            {
                result.Add(segment);
            }
        }

        return result;
    }

    private static bool IsGlue(string text)
    {
        if (text.Length is 0 or > 3)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    // One column of the diff: equal text plain, this side's changes marked; the other side's changes are skipped
    // without closing the mark, so "25" "." "00" becomes one <del>25.00</del>.
    /// <summary>One side of the side-by-side replies: the word diff when there is one, else the reply or the error.</summary>
    private static void WriteReplyText(TextWriter w, List<DiffSegment>? diff, DiffKind side, StackObservation observation)
    {
        if (diff is not null)
        {
            WriteDiffColumn(w, diff, side);
        }
        else
        {
            WriteReplyOrError(w, observation);
        }
    }

    private static void WriteDiffColumn(TextWriter w, List<DiffSegment> diff, DiffKind side)
    {
        var (tag, css) = side == DiffKind.Deleted ? ("del", "diff-del") : ("ins", "diff-ins");
        var open = false;
        foreach (var segment in diff)
        {
            if (segment.Kind == DiffKind.Equal)
            {
                if (open)
                {
                    w.Write("</");
                    w.Write(tag);
                    w.Write('>');
                    open = false;
                }

                Enc(w, segment.Text);
            }
            else if (segment.Kind == side)
            {
                if (!open)
                {
                    w.Write('<');
                    w.Write(tag);
                    w.Write(" class=\"");
                    w.Write(css);
                    w.Write("\">");
                    open = true;
                }

                Enc(w, segment.Text);
            }
        }

        if (open)
        {
            w.Write("</");
            w.Write(tag);
            w.Write('>');
        }
    }

    private static void WriteReplyScores(TextWriter w, ReplyDetail detail)
    {
        w.Write("<p class=\"reply-scores\">lexical ");
        w.Write(Score(detail.Lexical));
        if (detail.NoiseLexical is { } noiseLexical)
        {
            w.Write(" (A/A′ ");
            w.Write(Score(noiseLexical));
            w.Write(')');
        }

        if (detail.Semantic is { } semantic)
        {
            w.Write(" · semantic ");
            w.Write(Score(semantic));
            if (detail.NoiseSemantic is { } noiseSemantic)
            {
                w.Write(" (A/A′ ");
                w.Write(Score(noiseSemantic));
                w.Write(')');
            }
        }

        w.Write(" · facts A ");
        WriteFacts(w, detail.OldFacts, detail.NewFacts);
        w.Write(" · facts B ");
        WriteFacts(w, detail.NewFacts, detail.OldFacts);
        w.Write("</p>\n");
    }

    private static void WriteFacts(TextWriter w, IReadOnlyList<string> facts, IReadOnlyList<string> other)
    {
        if (facts.Count == 0)
        {
            w.Write("<span class=\"muted\">none</span>");
            return;
        }

        w.Write('[');
        for (var i = 0; i < facts.Count; i++)
        {
            if (i > 0)
            {
                w.Write(", ");
            }

            var differs = !other.Contains(facts[i]);
            w.Write(differs ? "<span class=\"fact fact-diff\">" : "<span class=\"fact\">");
            Enc(w, facts[i]);
            w.Write("</span>");
        }

        w.Write(']');
    }

    private static void WriteDimensions(TextWriter w, IReadOnlyList<DimensionResult> dimensions)
    {
        w.Write("<div class=\"dims\">\n");
        foreach (var dimension in dimensions.OrderByDescending(d => d.Verdict).ThenByDescending(d => d.Severity))
        {
            var name = Name(dimension.Dimension);
            w.Write("<div class=\"dim-verdict v-");
            w.Write(Name(dimension.Verdict));
            w.Write("\" data-dimension=\"");
            w.Write(name);
            w.Write("\" data-verdict=\"");
            w.Write(Name(dimension.Verdict));
            w.Write("\"><span class=\"dim-name\">");
            w.Write(name);
            w.Write("</span> ");
            Badge(w, dimension.Verdict);
            if (dimension.Verdict == Verdict.Regression)
            {
                w.Write(" ");
                SeverityBadge(w, dimension.Severity);
            }

            w.Write(" <span class=\"dim-reason\">");
            Enc(w, dimension.Reason);
            w.Write("</span>");
            if (dimension.Memory is { } memory && (memory.RetrievedJaccard is not null || memory.RetrievedRecall is not null))
            {
                w.Write(" <span class=\"muted\">(retrieved recall ");
                w.Write(memory.RetrievedRecall is { } recall ? Score(recall) : "—");
                w.Write(", jaccard ");
                w.Write(memory.RetrievedJaccard is { } jaccard ? Score(jaccard) : "—");
                w.Write(")</span>");
            }

            if (dimension.Verdict is Verdict.Regression or Verdict.Noise && (dimension.Findings.Count > 0 || dimension.NoiseFindings.Count > 0))
            {
                w.Write("<ul class=\"findings\">");
                foreach (var finding in dimension.Findings)
                {
                    WriteFinding(w, finding, "A vs B");
                }

                foreach (var finding in dimension.NoiseFindings)
                {
                    WriteFinding(w, finding, "A vs A′ (noise)");
                }

                w.Write("</ul>");
            }

            w.Write("</div>\n");
        }

        w.Write("</div>\n");
    }

    private static void WriteFinding(TextWriter w, Finding finding, string between)
    {
        w.Write(between.StartsWith("A vs A′", StringComparison.Ordinal) ? "<li class=\"noise-finding\">" : "<li>");
        w.Write("<span class=\"muted\">");
        Enc(w, between);
        w.Write("</span> <code>");
        Enc(w, finding.Key);
        w.Write("</code> ");
        Enc(w, finding.Description);
        w.Write("</li>");
    }

    private static void WriteErrors(TextWriter w, TurnResult turn)
    {
        if (turn.Old.Succeeded && turn.New.Succeeded && turn.OldRepeat?.Error is null)
        {
            return;
        }

        w.Write("<div class=\"errors\">\n");
        WriteError(w, "Old (A)", turn.Old);
        if (turn.OldRepeat is { } repeat)
        {
            WriteError(w, "A′", repeat);
        }

        WriteError(w, "New (B)", turn.New);
        w.Write("</div>\n");
    }

    private static void WriteError(TextWriter w, string lane, StackObservation observation)
    {
        if (observation.Error is not { } error)
        {
            return;
        }

        w.Write("<div class=\"error\"><span class=\"who\">");
        Enc(w, lane);
        w.Write("</span> <span class=\"error-kind\">");
        w.Write(Name(error.Kind));
        if (observation.HttpStatus is { } status)
        {
            w.Write(" (HTTP ");
            w.Write(Num(status));
            w.Write(')');
        }

        w.Write("</span> <span class=\"error-message\">");
        Enc(w, error.Message);
        w.Write("</span></div>\n");
    }

    private static void WriteSkills(TextWriter w, TurnResult turn, DimensionResult? dimension)
    {
        var a = turn.Old.SkillCalls;
        var b = turn.New.SkillCalls;
        w.Write("<div class=\"panel\"><h5>Skill calls</h5>");
        if ((a is null || a.Count == 0) && (b is null || b.Count == 0))
        {
            w.Write("<p class=\"muted\">old: ");
            w.Write(a is null ? "not observed" : "none");
            w.Write(" · new: ");
            w.Write(b is null ? "not observed" : "none");
            w.Write("</p></div>\n");
            return;
        }

        // Pair the k-th call of each name on both sides, as the skill comparer does; new-only calls follow.
        var rows = new List<(SkillCall? Old, SkillCall? New)>();
        var used = new bool[b?.Count ?? 0];
        foreach (var call in a ?? [])
        {
            SkillCall? match = null;
            for (var j = 0; j < used.Length; j++)
            {
                if (!used[j] && string.Equals(b![j].Name, call.Name, StringComparison.Ordinal))
                {
                    used[j] = true;
                    match = b[j];
                    break;
                }
            }

            rows.Add((call, match));
        }

        for (var j = 0; j < used.Length; j++)
        {
            if (!used[j])
            {
                rows.Add((null, b![j]));
            }
        }

        var findingKeys = dimension?.Findings.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        w.Write("<table class=\"skills grid\">\n<thead><tr><th>skill</th><th>old (A) arguments</th><th>status</th><th>new (B) arguments</th><th>status</th></tr></thead>\n<tbody>\n");
        foreach (var (oldCall, newCall) in rows)
        {
            var name = (oldCall ?? newCall)!.Name;
            var argsDiffer = false;
            var statusDiffers = false;
            if (oldCall is not null && newCall is not null)
            {
                foreach (var (path, _, _) in SkillComparer.JsonDiff(oldCall.Arguments, newCall.Arguments, turn.Old.Environment, turn.New.Environment))
                {
                    // Honour the comparer's ignore rules: only paths it reported count as differences.
                    if (findingKeys is null || findingKeys.Contains($"skills.args:{name}.{path}"))
                    {
                        argsDiffer = true;
                        break;
                    }
                }

                statusDiffers = !string.Equals(oldCall.Status, newCall.Status, StringComparison.OrdinalIgnoreCase)
                    && (findingKeys is null || findingKeys.Contains($"skills.status:{name}"));
            }

            var oneSided = (oldCall is null && a is not null) || (newCall is null && b is not null);
            w.Write(argsDiffer || statusDiffers || oneSided ? "<tr class=\"diff-row\" data-skill=\"" : "<tr data-skill=\"");
            Enc(w, name);
            w.Write("\"><th>");
            Enc(w, name);
            w.Write("</th>");
            WriteSkillCells(w, oldCall, a is null, argsDiffer, statusDiffers);
            WriteSkillCells(w, newCall, b is null, argsDiffer, statusDiffers);
            w.Write("</tr>\n");
        }

        w.Write("</tbody>\n</table></div>\n");
    }

    private static void WriteSkillCells(TextWriter w, SkillCall? call, bool notObserved, bool argsDiffer, bool statusDiffers)
    {
        if (call is null)
        {
            w.Write("<td colspan=\"2\" class=\"absent\">");
            w.Write(notObserved ? "not observed" : "not called");
            w.Write("</td>");
            return;
        }

        w.Write(argsDiffer ? "<td class=\"args cell-diff\"><code>" : "<td class=\"args\"><code>");
        Enc(w, Compact(call.Arguments));
        w.Write(statusDiffers ? "</code></td><td class=\"status cell-diff\">" : "</code></td><td class=\"status\">");
        Enc(w, call.Status ?? "—");
        w.Write("</td>");
    }

    private static void WriteMemory(TextWriter w, TurnResult turn, DimensionResult? dimension)
    {
        var a = turn.Old.Memory;
        var b = turn.New.Memory;
        w.Write("<div class=\"panel\"><h5>Memory</h5>");
        if (a is null && b is null)
        {
            w.Write("<p class=\"muted\">not observed on either stack</p></div>\n");
            return;
        }

        w.Write("<table class=\"memory grid\"");
        if (dimension is not null)
        {
            w.Write(" data-verdict=\"");
            w.Write(Name(dimension.Verdict));
            w.Write('"');
        }

        w.Write(">\n<thead><tr><th></th><th>old (A)</th><th>new (B)</th></tr></thead>\n<tbody>\n<tr class=\"retrieved\"><th>retrieved</th>");
        WriteHits(w, a is null, a?.Retrieved, b?.Retrieved, "mem-missing");
        WriteHits(w, b is null, b?.Retrieved, a?.Retrieved, "mem-extra");
        w.Write("</tr>\n<tr class=\"written\"><th>written</th>");
        WriteHits(w, a is null, a?.Written, b?.Written, "mem-missing");
        WriteHits(w, b is null, b?.Written, a?.Written, "mem-extra");
        w.Write("</tr>\n</tbody>\n</table></div>\n");
    }

    private static void WriteHits(TextWriter w, bool noMemory, IReadOnlyList<MemoryHit>? hits, IReadOnlyList<MemoryHit>? other, string onlyHereClass)
    {
        if (noMemory || hits is null)
        {
            w.Write("<td class=\"absent\">not observed</td>");
            return;
        }

        if (hits.Count == 0)
        {
            w.Write("<td class=\"absent\">none</td>");
            return;
        }

        HashSet<string>? otherTexts = null;
        if (other is not null)
        {
            otherTexts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var hit in other)
            {
                otherTexts.Add(MemoryKey(hit.Text));
            }
        }

        w.Write("<td><ul class=\"hits\">");
        foreach (var hit in hits)
        {
            var onlyHere = otherTexts is not null && !otherTexts.Contains(MemoryKey(hit.Text));
            if (onlyHere)
            {
                w.Write("<li class=\"");
                w.Write(onlyHereClass);
                w.Write("\">");
            }
            else
            {
                w.Write("<li>");
            }

            Enc(w, hit.Text);
            if (hit.Score is { } score)
            {
                w.Write(" <span class=\"score\">");
                w.Write(Score(score));
                w.Write("</span>");
            }

            w.Write("</li>");
        }

        w.Write("</ul></td>");
    }

    private static string MemoryKey(string text) => TextNormalizer.MaskLaneIds(text.Trim());

    private static void WriteLatency(TextWriter w, TurnResult turn, DimensionResult? dimension)
    {
        w.Write("<p class=\"latency\"");
        if (dimension is not null)
        {
            w.Write(" data-verdict=\"");
            w.Write(Name(dimension.Verdict));
            w.Write('"');
        }

        w.Write(">latency A <span class=\"ms\">");
        w.Write(Ms(turn.Old.LatencyMs));
        w.Write("</span>");
        if (turn.OldRepeat is { } repeat)
        {
            w.Write(" · A′ <span class=\"ms\">");
            w.Write(Ms(repeat.LatencyMs));
            w.Write("</span>");
        }

        w.Write(dimension?.Verdict == Verdict.Regression ? " · B <span class=\"ms slow\">" : " · B <span class=\"ms\">");
        w.Write(Ms(turn.New.LatencyMs));
        w.Write("</span></p>\n");
    }

    private static void WriteRaw(TextWriter w, TurnResult turn)
    {
        w.Write("<details class=\"raw\"><summary>Raw responses</summary>\n<div class=\"raw-grid\">");
        WriteRawOne(w, "Old (A)", turn.Old);
        if (turn.OldRepeat is { } repeat)
        {
            WriteRawOne(w, "A′", repeat);
        }

        WriteRawOne(w, "New (B)", turn.New);
        w.Write("</div></details>\n");
    }

    private static void WriteRawOne(TextWriter w, string lane, StackObservation observation)
    {
        w.Write("<div><div class=\"col-head\">");
        Enc(w, lane);
        w.Write(" · ");
        Enc(w, observation.Stack);
        w.Write(" · <code>");
        Enc(w, observation.ConversationId);
        w.Write("</code>");
        if (observation.HttpStatus is { } status)
        {
            w.Write(" · HTTP ");
            w.Write(Num(status));
        }

        w.Write("</div><pre>");
        Enc(w, observation.RawResponse is null ? "(no body)" : Pretty(observation.RawResponse));
        w.Write("</pre></div>");
    }

    private static string Pretty(string raw)
    {
        if (raw.Length == 0 || (raw[0] != '{' && raw[0] != '['))
        {
            return raw;
        }

        try
        {
            using var document = JsonDocument.Parse(raw);
            return Write(document.RootElement, IndentedJson);
        }
        catch (JsonException)
        {
            return raw; // truncated or not JSON: show it as received
        }
    }

    private static string Compact(JsonElement? value) =>
        value is not { ValueKind: not JsonValueKind.Undefined } element ? "—" : Write(element, CompactJson);

    private static string Write(JsonElement element, JsonWriterOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, options))
        {
            element.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Badge(TextWriter w, Verdict verdict)
    {
        w.Write("<span class=\"badge v-");
        w.Write(Name(verdict));
        w.Write("\">");
        w.Write(Label(verdict));
        w.Write("</span>");
    }

    private static void SeverityBadge(TextWriter w, Severity severity)
    {
        w.Write("<span class=\"severity s-");
        w.Write(Name(severity));
        w.Write("\">");
        w.Write(Name(severity));
        w.Write("</span>");
    }

    /// <summary>HTML-encodes <paramref name="text"/> after redacting credentials.</summary>
    private static void Enc(TextWriter w, string? text)
    {
        if (!string.IsNullOrEmpty(text))
        {
            WebUtility.HtmlEncode(Redact(text), w);
        }
    }

    /// <summary>Removes bearer tokens and authorization values; cheap when the text holds neither word.</summary>
    internal static string Redact(string text)
    {
        if (!text.Contains("earer", StringComparison.OrdinalIgnoreCase) && !text.Contains("uthorization", StringComparison.OrdinalIgnoreCase))
        {
            return text;
        }

        text = JsonAuthorization().Replace(text, "${pre}" + Redacted + "${q}");
        text = HeaderAuthorization().Replace(text, "${pre}" + Redacted);
        return BearerToken().Replace(text, "${pre}" + Redacted);
    }

    // "authorization": "…" in JSON, also when the JSON sits escaped inside a string (\"authorization\":\"…\").
    [GeneratedRegex("""(?<pre>(?<q>\\?")(?:proxy-)?authorization\k<q>\s*:\s*\k<q>)(?:\\.|[^"\\])*?\k<q>""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex JsonAuthorization();

    // Authorization: Bearer abc / authorization=Basic xyz, as in a header dump or an error message.
    [GeneratedRegex("""(?<pre>\b(?:proxy-)?authorization\s*[:=]\s*)(?!\[redacted\])(?:(?:bearer|basic|digest|token|negotiate)\s+)?[^\s"'<>,;\\]+""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HeaderAuthorization();

    // A stray "Bearer <token>"; the token must hold a digit or token punctuation so prose ("bearer of news") stays.
    [GeneratedRegex("""(?<pre>\bbearer\s+)(?!\[redacted\])(?=[A-Za-z0-9\-._~+/]*[0-9._~+/-])[A-Za-z0-9\-._~+/]+=*""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BearerToken();

    private static string Name(Verdict verdict) => verdict switch
    {
        Verdict.Match => "match",
        Verdict.Noise => "noise",
        Verdict.NotObserved => "notobserved",
        Verdict.Error => "error",
        _ => "regression",
    };

    private static string Label(Verdict verdict) => verdict switch
    {
        Verdict.Match => "Match",
        Verdict.Noise => "Noise",
        Verdict.NotObserved => "Not observed",
        Verdict.Error => "Error",
        _ => "Regression",
    };

    private static string Name(Severity severity) => severity switch
    {
        Severity.Minor => "minor",
        Severity.Major => "major",
        Severity.Critical => "critical",
        _ => "none",
    };

    private static string Name(Dimension dimension) => dimension switch
    {
        Dimension.Reply => "reply",
        Dimension.Skills => "skills",
        Dimension.Memory => "memory",
        Dimension.Latency => "latency",
        Dimension.Errors => "errors",
        _ => "expectations",
    };

    private static string Name(ObservationErrorKind kind) => kind switch
    {
        ObservationErrorKind.HttpStatus => "httpStatus",
        ObservationErrorKind.Timeout => "timeout",
        ObservationErrorKind.Connection => "connection",
        ObservationErrorKind.InvalidResponse => "invalidResponse",
        _ => "cancelled",
    };

    private static string Name(ConversationSource source) => source switch
    {
        ConversationSource.Recorded => "recorded",
        ConversationSource.Synthetic => "synthetic",
        _ => "scripted",
    };

    private static string LaneLabel(Lane lane) => lane switch
    {
        Lane.Old => "old (A)",
        Lane.OldRepeat => "old again (A′)",
        Lane.NewRepeat => "new again (B′)",
        _ => "new (B)",
    };

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Score(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Ms(double value) => value.ToString("0", CultureInfo.InvariantCulture) + " ms";

    private static string FormatDuration(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            return "—";
        }

        return duration.TotalSeconds < 60
            ? duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"
            : $"{(int)duration.TotalMinutes}:{duration.Seconds:00} min";
    }

    private const string Legend = """
        <p id="legend" class="legend">Every turn is sent to the old stack twice (<b>A</b> and <b>A′</b>) and to the new stack once (<b>B</b>). Differences between A and A′ are the <b>noise floor</b>: what the old stack already varies by on its own (wording, ids, timing). Each dimension (reply, skills, memory, latency, errors, expectations) is judged against that floor. <span class="badge v-match">Match</span> old and new did the same within thresholds. <span class="badge v-noise">Noise</span> they differ, but old differs from itself the same way (in this turn or as often across the run), so it is not the new stack's fault. <span class="badge v-notobserved">Not observed</span> a stack does not expose that dimension, so it could not be compared — never counted as a match. <span class="badge v-error">Error</span> the harness could not compare: the old stack failed, a stack was unreachable, or the run stopped. <span class="badge v-regression">Regression</span> the new stack differs beyond the noise floor, graded <span class="severity s-critical">critical</span> (skill calls or failures: real side effects), <span class="severity s-major">major</span> (facts or memory) or <span class="severity s-minor">minor</span> (meaning or latency drift). A conversation takes its worst turn's verdict; open one to see which turn and dimension decided it.</p>

        """;

    private const string Css = """
        :root{--fg:#1d2330;--muted:#6a7385;--bg:#f6f7f9;--card:#fff;--line:#dde1e8;--reg:#c62828;--err:#8e24aa;--nob:#ef6c00;--noise:#607d8b;--match:#2e7d32;--del:#fde2e2;--ins:#dcf5dc}
        *{box-sizing:border-box}
        body{margin:0;padding:16px 24px 48px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
        h1{font-size:20px;margin:0 0 8px}h2{font-size:17px;margin:24px 0 8px}h3{font-size:15px;margin:18px 0 6px}h4{font-size:14px;margin:0 0 8px;font-weight:600}h5{font-size:13px;margin:0 0 6px}
        code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12px}
        pre{white-space:pre-wrap;word-break:break-word;background:#f0f2f5;border:1px solid var(--line);border-radius:4px;padding:8px;margin:4px 0;max-height:480px;overflow:auto}
        .muted,.hint{color:var(--muted)}.hint{font-size:12px;max-width:980px}
        .run-header{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:12px 16px}
        .run-facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:4px 24px;margin:0}
        .run-facts div{display:flex;gap:8px}.run-facts dt{color:var(--muted);min-width:120px}.run-facts dd{margin:0;overflow-wrap:anywhere}
        .banner-cancelled{background:#fff3e0;border:1px solid var(--nob);color:#7a3b00;border-radius:4px;padding:8px 12px;margin:8px 0}
        .tiles{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}
        .tile{display:flex;flex-direction:column;align-items:flex-start;min-width:130px;padding:10px 14px;border-radius:6px;border:1px solid var(--line);border-left-width:6px;background:var(--card);font:inherit;color:inherit;text-align:left}
        button.tile{cursor:pointer}button.tile:hover{box-shadow:0 1px 4px rgba(0,0,0,.15)}
        .tile-count{font-size:28px;font-weight:700;line-height:1.1}.tile-label{color:var(--muted)}.tile.zero{opacity:.55}
        .tile.v-regression,.tile.s-critical{border-left-color:var(--reg)}.tile.v-error{border-left-color:var(--err)}.tile.v-notobserved,.tile.s-major{border-left-color:var(--nob)}.tile.v-noise{border-left-color:var(--noise)}.tile.v-match{border-left-color:var(--match)}.tile.s-minor{border-left-color:#f9a825}
        .legend{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:10px 14px;max-width:1100px}
        table.grid{border-collapse:collapse;background:var(--card)}
        table.grid th,table.grid td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
        table.grid thead th{background:#eef0f4;font-weight:600}
        td.num{text-align:right;font-variant-numeric:tabular-nums}td.zero{color:#b0b6c2}
        td.v-regression{background:#fdecea;color:var(--reg);font-weight:700}td.v-error{color:var(--err);font-weight:600}td.v-notobserved{color:var(--nob)}
        #keys tr.reported{background:#fdecea}#keys tr.reported td.flag{color:var(--reg);font-weight:700}
        .badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;background:var(--muted);white-space:nowrap}
        .badge.v-regression{background:var(--reg)}.badge.v-error{background:var(--err)}.badge.v-notobserved{background:var(--nob)}.badge.v-noise{background:var(--noise)}.badge.v-match{background:var(--match)}
        .severity{display:inline-block;padding:0 6px;border-radius:3px;font-size:11px;font-weight:700;text-transform:uppercase;border:1px solid currentColor}
        .s-critical{color:var(--reg)}.s-major{color:var(--nob)}.s-minor{color:#b28704}
        .toolbar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;position:sticky;top:0;background:var(--bg);padding:8px 0;z-index:2;border-bottom:1px solid var(--line)}
        .filters{display:flex;flex-wrap:wrap;gap:4px}
        button{font:inherit;padding:4px 10px;border:1px solid var(--line);border-radius:4px;background:var(--card);cursor:pointer}
        button.filter.active{background:var(--fg);color:#fff;border-color:var(--fg)}button .count{opacity:.7}
        #search{font:inherit;padding:4px 8px;min-width:260px;border:1px solid var(--line);border-radius:4px}
        details.conversation{background:var(--card);border:1px solid var(--line);border-left:5px solid var(--muted);border-radius:5px;margin:6px 0}
        details.conversation[hidden]{display:none}
        details.conversation[data-verdict=regression]{border-left-color:var(--reg)}details.conversation[data-verdict=error]{border-left-color:var(--err)}details.conversation[data-verdict=notobserved]{border-left-color:var(--nob)}details.conversation[data-verdict=match]{border-left-color:var(--match)}
        details.conversation>summary{cursor:pointer;padding:8px 12px;list-style-position:outside}
        .conv-id{font-weight:700;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}.turn-count{color:var(--muted)}.conv-reason{display:block;margin:2px 0 0 0;color:#394152}
        .incomplete{color:var(--err);font-weight:600}
        .conv-body{padding:0 12px 12px}.conv-meta{color:var(--muted);font-size:12px;margin:0 0 8px}
        .tag{background:#eef0f4;border-radius:3px;padding:0 5px}
        .turn{border-top:1px solid var(--line);padding:10px 0}.turn.v-regression>h4{color:var(--reg)}
        .turn-reason{font-weight:400;color:#394152}
        .user-message{background:#eef3fb;border-radius:4px;padding:6px 10px;margin-bottom:8px}
        .who{font-size:11px;font-weight:700;text-transform:uppercase;color:var(--muted);margin-right:4px}
        .replies{display:grid;grid-template-columns:1fr 1fr;gap:10px}
        .reply{border:1px solid var(--line);border-radius:4px;padding:6px 10px;min-width:0}
        .col-head{font-size:11px;font-weight:700;text-transform:uppercase;color:var(--muted);margin-bottom:4px}
        .reply-text{white-space:pre-wrap;word-break:break-word}
        .reply-repeat{margin-top:6px;font-size:12px;color:var(--muted);white-space:pre-wrap;word-break:break-word}
        del.diff-del{background:var(--del);color:#8b1111;text-decoration:line-through}ins.diff-ins{background:var(--ins);color:#0f5a12;text-decoration:none;font-weight:600}
        .no-reply{color:var(--err);font-style:italic}
        .reply-scores{font-size:12px;color:var(--muted);margin:4px 0}.fact-diff{color:var(--reg);font-weight:700}
        .dims{display:flex;flex-direction:column;gap:3px;margin:8px 0}
        .dim-verdict{font-size:13px}.dim-name{display:inline-block;min-width:92px;font-weight:600}
        .dim-verdict.v-match .dim-reason,.dim-verdict.v-noise .dim-reason{color:var(--muted)}
        .findings{margin:2px 0 4px 96px;padding-left:16px;font-size:12px}.noise-finding{color:var(--muted)}
        .errors{margin:6px 0}.error{background:#f7e8fa;border:1px solid #d9b3e3;border-radius:4px;padding:4px 8px;margin:3px 0}.error-kind{font-weight:700;color:var(--err)}
        .panels{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:10px;margin:8px 0}
        .panel{min-width:0;overflow-x:auto}
        table.skills code{word-break:break-all}
        tr.diff-row{background:#fff4f4}tr.diff-row th{color:var(--reg)}td.cell-diff{background:var(--del);font-weight:600}
        td.absent{color:var(--muted);font-style:italic}
        .hits{margin:0;padding-left:16px}.score{color:var(--muted);font-size:11px}
        li.mem-missing{color:var(--reg);text-decoration:line-through}li.mem-extra{color:#0f5a12;font-weight:600}
        .latency{font-size:12px;color:var(--muted);margin:4px 0}.ms{color:var(--fg);font-variant-numeric:tabular-nums}.ms.slow{color:var(--reg);font-weight:700}
        details.raw>summary{cursor:pointer;font-size:12px;color:var(--muted)}
        .raw-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:8px}
        @media (max-width:900px){.replies,.panels{grid-template-columns:1fr}}

        """;

    private const string Script = """
        (function () {
          'use strict';
          var list = Array.prototype.slice.call(document.querySelectorAll('details.conversation'));
          var buttons = Array.prototype.slice.call(document.querySelectorAll('button.filter'));
          var search = document.getElementById('search');
          var shown = document.getElementById('shown-count');
          var none = document.getElementById('no-match');
          var state = { verdict: 'all', text: '' };
          function apply() {
            var n = 0;
            for (var i = 0; i < list.length; i++) {
              var c = list[i];
              var ok = (state.verdict === 'all' || c.getAttribute('data-verdict') === state.verdict) &&
                (state.text === '' || (c.getAttribute('data-search') || '').indexOf(state.text) !== -1);
              c.hidden = !ok;
              if (ok) { n++; }
            }
            for (var j = 0; j < buttons.length; j++) {
              var on = buttons[j].getAttribute('data-filter') === state.verdict;
              buttons[j].classList.toggle('active', on);
              buttons[j].setAttribute('aria-pressed', on ? 'true' : 'false');
            }
            shown.textContent = n + ' of ' + list.length + ' conversations shown';
            none.hidden = n !== 0;
          }
          document.addEventListener('click', function (e) {
            var target = e.target && e.target.closest ? e.target.closest('[data-filter]') : null;
            if (!target) { return; }
            state.verdict = target.getAttribute('data-filter');
            apply();
            if (target.classList.contains('tile')) { document.getElementById('conversations-section').scrollIntoView(); }
          });
          search.addEventListener('input', function () { state.text = search.value.trim().toLowerCase(); apply(); });
          document.getElementById('expand-all').addEventListener('click', function () {
            for (var i = 0; i < list.length; i++) { if (!list[i].hidden) { list[i].open = true; } }
          });
          document.getElementById('collapse-all').addEventListener('click', function () {
            for (var i = 0; i < list.length; i++) { list[i].open = false; }
          });
          apply();
        })();

        """;
}
