using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using DualStack.Core.Judgement;
using DualStack.Core.Model;

namespace DualStack.Core.Reports;

/// <summary>Shared pieces of the HTML report: encoding with credential redaction, badges, names and number formats.</summary>
internal static partial class HtmlText
{
    private const string Redacted = "[redacted]";

    internal static void Badge(TextWriter w, Verdict verdict)
    {
        w.Write("<span class=\"badge v-");
        w.Write(Name(verdict));
        w.Write("\">");
        w.Write(Label(verdict));
        w.Write("</span>");
    }

    internal static void SeverityBadge(TextWriter w, Severity severity)
    {
        w.Write("<span class=\"severity s-");
        w.Write(Name(severity));
        w.Write("\">");
        w.Write(Name(severity));
        w.Write("</span>");
    }

    /// <summary>HTML-encodes <paramref name="text"/> after redacting credentials.</summary>
    internal static void Enc(TextWriter w, string? text)
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

    internal static string Name(Verdict verdict) => verdict switch
    {
        Verdict.Match => "match",
        Verdict.Noise => "noise",
        Verdict.NotObserved => "notobserved",
        Verdict.Error => "error",
        _ => "regression",
    };

    internal static string Label(Verdict verdict) => verdict switch
    {
        Verdict.Match => "Match",
        Verdict.Noise => "Noise",
        Verdict.NotObserved => "Not observed",
        Verdict.Error => "Error",
        _ => "Regression",
    };

    internal static string Name(Severity severity) => severity switch
    {
        Severity.Minor => "minor",
        Severity.Major => "major",
        Severity.Critical => "critical",
        _ => "none",
    };

    internal static string Name(Dimension dimension) => dimension switch
    {
        Dimension.Reply => "reply",
        Dimension.Skills => "skills",
        Dimension.Memory => "memory",
        Dimension.Latency => "latency",
        Dimension.Errors => "errors",
        _ => "expectations",
    };

    internal static string Name(ObservationErrorKind kind) => kind switch
    {
        ObservationErrorKind.HttpStatus => "httpStatus",
        ObservationErrorKind.Timeout => "timeout",
        ObservationErrorKind.Connection => "connection",
        ObservationErrorKind.InvalidResponse => "invalidResponse",
        _ => "cancelled",
    };

    internal static string Name(ConversationSource source) => source switch
    {
        ConversationSource.Recorded => "recorded",
        ConversationSource.Synthetic => "synthetic",
        _ => "scripted",
    };

    internal static string LaneLabel(Lane lane) => lane switch
    {
        Lane.Old => "old (A)",
        Lane.OldRepeat => "old again (A′)",
        Lane.NewRepeat => "new again (B′)",
        _ => "new (B)",
    };

    internal static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);

    internal static string Score(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    internal static string Ms(double value) => value.ToString("0", CultureInfo.InvariantCulture) + " ms";

    internal static string FormatDuration(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            return "—";
        }

        return duration.TotalSeconds < 60
            ? duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"
            : $"{(int)duration.TotalMinutes}:{duration.Seconds:00} min";
    }
}
