using System.Buffers;
using System.Text.RegularExpressions;

namespace DualStack.Core.Comparison;

/// <summary>Whether a reply tells the customer that an outcome happened or that it did not.</summary>
internal enum OutcomePolarity
{
    /// <summary>No outcome stated either way.</summary>
    None,

    /// <summary>An outcome is confirmed: refund issued, address updated, in stock.</summary>
    Confirmed,

    /// <summary>An outcome is denied, failed or refused: cannot process, could not update, out of stock.</summary>
    Denied,
}

/// <summary>
/// Reads the outcome a reply states from negation, refusal and failure cues around an action or object, and success
/// cues. Sentence embeddings barely separate "your refund is on its way" from "I can't process refunds", so this is its
/// own check. Polite or conditional negations ("don't hesitate", "no problem", "if it doesn't arrive") are not denials.
/// </summary>
internal static partial class Polarity
{
    // Every denial cue holds one of these: most replies hold none, and then the (large) pattern never runs.
    private static readonly SearchValues<string> DenialMarks = SearchValues.Create(
        ["not", "n't", "cannot", "unable", "fail", "declin", "reject", "refus", "unsuccess", "unavailab", "ineligib", "impossib", "out of stock",
         "sold out", "no ", "nothing", "still ", "suspend", "deactivat", "disabl", "switched off", "turned off", "closed", "went wrong", "backorder", "back-order"],
        StringComparison.Ordinal);

    /// <summary>The first denial, failure or refusal cue outside a conditional clause; null when there is none.</summary>
    public static string? Denial(string meaning)
    {
        // The meaning text is lower-case; ASCII marks with an ordinal search stay vectorised ("n’t" is checked on its own).
        if (!meaning.AsSpan().ContainsAny(DenialMarks) && !meaning.Contains("n’t", StringComparison.Ordinal))
        {
            return null;
        }

        foreach (Match match in DenialCue().Matches(meaning))
        {
            if (!Conditional(meaning, match.Index))
            {
                return match.Value;
            }
        }

        return null;
    }

    /// <summary>The first confirmation cue outside a conditional clause; null when there is none.</summary>
    public static string? Confirmation(string meaning)
    {
        foreach (Match match in ConfirmationCue().Matches(meaning))
        {
            if (!Conditional(meaning, match.Index))
            {
                return match.Value;
            }
        }

        return null;
    }

    /// <summary>True when the cue sits in an "if …", "unless …", "in case …" clause of its sentence.</summary>
    private static bool Conditional(string text, int index)
    {
        var start = index;
        while (start > 0 && text[start - 1] is not '.' and not '!' and not '?' and not ';')
        {
            start--;
        }

        var clause = text.AsSpan(start, index - start);
        var comma = clause.LastIndexOf(',');
        var scope = comma >= 0 && clause.Length - comma > 48 ? clause[comma..] : clause;
        return ConditionalWord().IsMatch(scope);
    }

    private const string Actions = "process|issu|refund|updat|chang|complet|cancel|book|confirm|approv|ship|deliver|sen[dt]|appl(?:y|ie)|locat|reset|transfer|"
        + "add|modif|schedul|reschedul|plac|credit|revers|activat|upgrad|renew|unlock|reserv|waiv|honou?r|accept|arrang|submit|pa(?:y|id)|return|exchang|replac|mov|switch|restor|"
        + "sav|stor|record|register|e-?mail|post|dispatch|verif|validat|block|freez|froze|find|found|extend|releas|cover|collect|pick|connect|access|"
        + "open|load|reach|enrol|admit|reinstat|refill|fill|top|unlock|reactivat|rebook|honor|match|approv|authori[sz]|grant|clear";

    private const string Done = "processed|issued|approved|updated|changed|completed|successful|confirmed|applied|accepted|refunded|booked|cancell?ed|shipped|sent|credited|"
        + "saved|stored|recorded|registered|e-?mailed|dispatched|delivered|scheduled|rescheduled|reserved|placed|activated|upgraded|renewed|reset|transferred|added|verified|"
        + "extended|released|covered|collected|picked up|connected|opened|received|admitted|enrolled|reinstated|unlocked|refilled|topped up|paid|found|located|"
        + "granted|authori[sz]ed|cleared|fixed|resolved|restored|reactivated|rebooked";

    [GeneratedRegex(
        @"\b(?:could ?n[o']t|couldn’t|can ?n[o']t|can[’']t|cannot|unable to|not able to|(?:was|were)(?:n[’']t| not) able to|failed to|fail to|won[’']t be able to|will not be able to|did ?n[o’']t (?:manage to|succeed)|am not allowed to|are not allowed to|(?:i|we) (?:won[’']t|will not|do ?n[o’']t|don’t)) (?:\w+ ){0,2}?(?:" + Actions + @")\w*"
        + @"|\b(?:was|were|has been|have been|is|are|got|been)(?: \w+)? (?:declined|rejected|denied|refused|unsuccessful|not (?:been )?(?:yet )?(?:possible|" + Done + @"))\b"
        + @"|\b(?:was|were|is|are|has|have|had)n[’']t (?:been )?(?:yet )?(?:" + Done + @")\b"
        + @"|\b(?:we|i)(?: have|[’']ve)? (?:not|n[’']t|have ?n[’']t|haven’t|have not) (?:yet )?(?:" + Done + @")\b"
        + @"|\b(?:out of stock|sold out|unavailable|no longer available|not available|not in stock|(?:is|are)(?:n[’']t| not) in stock|back-?ordered|not eligible|ineligible|did ?n[o’']t go through|didn’t go through|went wrong|declined|rejected|refused|unsuccessful|not possible|impossible to)\b"
        + @"|\b(?:we|i) (?:do ?n[o’']t|don’t|cannot|can ?n[o’']t|can’t) (?:offer|provide|give|accept|allow|support|ship)\b"
        + @"|\bno (?:refund|update|change|booking|reservation|stock|availability|seats?|rooms?|slots?) (?:was|were|is|are|has|have|could|can)\b"
        + @"|\b(?:is|are|was|were|has been|have been|got|now) (?:\w+ )?(?:suspended|deactivated|disabled|switched off|turned off|closed)\b"
        + @"|(?:\bnot|n[’']t) (?:yet )?(?:ready|shipped|dispatched|delivered|available|booked|confirmed|approved|processed|in stock|possible|eligible|covered|active|enabled|working|on (?:its|the) way|included|allowed|permitted|supported)\b"
        + @"|\b(?:no|nothing) (?:free )?(?:slots?|availability|appointments?|seats?|rooms?|stock|free|openings?)\b"
        + @"|\bstill (?:pending|waiting|processing|being processed|under review|in review|not|(?:has|have|is|are|was|were|had)n[’']t)\b|\bfailed\b(?! (?:sign|log|attempts?|tries|logins?|checks?)\b)"
        + @"|\b(?:we|i) (?:do|did)(?:n[’']t| not) (?:yet )?(?:have|see|hold|find)\b|\b(?:there(?:[’']s| is) )no (?:active|valid|open|current|record)\b",
        RegexOptions.CultureInvariant)]
    private static partial Regex DenialCue();

    [GeneratedRegex(
        @"\b(?:has|have|had|’s|'s) (?:now |just |already )?been (?:successfully |fully )?(?:processed|issued|approved|updated|changed|refunded|confirmed|booked|scheduled|rescheduled|completed|cancell?ed|shipped|sent|credited|reset|applied|added|activated|upgraded|renewed|reserved|placed|received|dispatched|delivered|submitted|arranged|waived|accepted|restored|replaced|moved|switched)\b"
        + @"|\b(?:i[’']ve|i have|we[’']ve|we have|i|we|i[’']ll|i will|we[’']ll|we will)(?: (?:successfully|now|just|already|gone ahead and|went ahead and))? (?:processed|issued|approved|updated|changed|refunded|confirmed|booked|scheduled|rescheduled|completed|cancell?ed|shipped|sent|credited|reset|applied|added|activated|upgraded|renewed|reserved|placed|initiated|submitted|arranged|started|waived|restored|replaced|moved|switched)\b"
        + @"|\b(?:is|are|was|were) (?:now |all )?(?:confirmed|booked|scheduled|updated|approved|in stock|available|on (?:its|their|the) way|active|complete|processed|issued|refunded|shipped|dispatched|delivered)\b"
        + @"|\b(?:successfully|went through|all set|in stock|on its way|on the way|good news|(?:is|are) available|available now|done)\b",
        RegexOptions.CultureInvariant)]
    private static partial Regex ConfirmationCue();

    // "if" inside an id ("VC-11298-IF") is not a condition.
    [GeneratedRegex(@"(?<![\w-])(?:if|unless|in case|whether|should you|otherwise|even if|make sure|so that|to ensure)(?![\w-])", RegexOptions.CultureInvariant)]
    private static partial Regex ConditionalWord();
}
