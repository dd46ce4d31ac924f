using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Results;
using static DualStack.Core.Reports.HtmlText;

namespace DualStack.Core.Reports;

/// <summary>The observation panels of one turn: skill calls side by side, memory, latency and the raw responses.</summary>
internal static partial class TurnPanels
{
    private static readonly JsonWriterOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions IndentedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };

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
        foreach (var (lane, observation) in Lanes(turn))
        {
            WriteRawOne(w, lane, observation);
        }
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
}
