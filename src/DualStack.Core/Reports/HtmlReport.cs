using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Results;
using static DualStack.Core.Reports.HtmlText;

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

    private static readonly Verdict[] VerdictsWorstFirst = [Verdict.Regression, Verdict.Error, Verdict.NotObserved, Verdict.Noise, Verdict.Match];
    private static readonly Severity[] SeveritiesWorstFirst = [Severity.Critical, Severity.Major, Severity.Minor];
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    // The stylesheet and the script are embedded resources (HtmlReport.css, HtmlReport.js next to this file), read once.
    private static readonly string Css = ReportResources.Read("HtmlReport.css");
    private static readonly string Script = ReportResources.Read("HtmlReport.js");

    // The page allows only its own inline script (by hash) and inline styles: even an encoding bug cannot run or load anything.
    // The hash is computed from the resource as loaded, so editing HtmlReport.js never leaves a stale hash behind.
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
    public static string RedactSecrets(string text) => HtmlText.Redact(text);

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
}
