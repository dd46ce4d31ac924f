using System.Text;
using DualStack.Core.Judgement;
using DualStack.Core.Results;
using static DualStack.Core.Reports.HtmlText;

namespace DualStack.Core.Reports;

/// <summary>The conversation list: filter bar, search, and one collapsible block per conversation, worst first.</summary>
public static partial class HtmlReport
{
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
            TurnPanels.Write(w, turn);
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
}
