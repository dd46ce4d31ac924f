using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Results;
using static DualStack.Core.Reports.HtmlText;

namespace DualStack.Core.Reports;

/// <summary>
/// The panels of one turn in the HTML report: replies and their word diff, verdicts per dimension with findings, and
/// errors (this file); skill calls, memory, latency and raw responses (TurnPanels.Observations.cs).
/// </summary>
internal static partial class TurnPanels
{
    /// <summary>Writes one turn: message, side-by-side replies with the word diff, verdicts per dimension, errors, skill calls, memory, latency and the raw responses.</summary>
    internal static void Write(TextWriter w, TurnResult turn)
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
        foreach (var (lane, observation) in Lanes(turn))
        {
            WriteError(w, lane, observation);
        }
        w.Write("</div>\n");
    }

    /// <summary>The lanes a turn's panels show, labelled: old (A), old again (A′) when asked twice, new (B).</summary>
    private static IEnumerable<(string Lane, StackObservation Observation)> Lanes(TurnResult turn)
    {
        yield return ("Old (A)", turn.Old);
        if (turn.OldRepeat is { } repeat)
        {
            yield return ("A′", repeat);
        }

        yield return ("New (B)", turn.New);
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
}
