using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DualStack.Core.Privacy;

// Detection: which spans of the decoded text are personal data (extra patterns, e-mails, Luhn-valid cards, phones).
public sealed partial class Redactor
{
    private List<Hit>? Find(ReadOnlySpan<char> span)
    {
        List<Hit>? hits = null;

        // Priority order: explicit patterns, then e-mails, cards, phones; a later kind never overlaps an earlier hit.
        foreach (var regex in _extra)
        {
            foreach (var m in regex.EnumerateMatches(span))
            {
                if (m.Length > 0)
                {
                    Add(ref hits, new Hit(m.Index, m.Length, Kind.Secret));
                }
            }
        }

        // Cheap vectorised pre-checks: most text has no '@', and text without digits has no card or phone.
        if (span.Contains('@'))
        {
            foreach (var m in EmailRegex.EnumerateMatches(span))
            {
                Add(ref hits, new Hit(m.Index, m.Length, Kind.Email));
            }
        }

        if (!span.ContainsAnyInRange('0', '9'))
        {
            return hits;
        }

        foreach (var m in CardRegex.EnumerateMatches(span))
        {
            if (IsLuhnValid(span.Slice(m.Index, m.Length)))
            {
                Add(ref hits, new Hit(m.Index, m.Length, Kind.Card));
            }
        }

        foreach (var m in PhoneRegex.EnumerateMatches(span))
        {
            var value = span.Slice(m.Index, m.Length);
            // E.164 allows 15 digits after the international prefix; "00" is that prefix written without '+'.
            var digits = CountDigits(value) - (value.StartsWith("00") ? 2 : 0);
            if (digits is >= 7 and <= 15)
            {
                Add(ref hits, new Hit(m.Index, m.Length, Kind.Phone));
            }
        }

        return hits;
    }

    /// <summary>
    /// True when the digits pass the Luhn checksum; spaces and dashes are ignored, any other non-digit character
    /// (or no digit at all) makes it false.
    /// </summary>
    public static bool IsLuhnValid(ReadOnlySpan<char> digits)
    {
        var sum = 0;
        var count = 0;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var c = digits[i];
            if (c is ' ' or '-')
            {
                continue;
            }

            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            var d = c - '0';
            if ((count & 1) == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            count++;
        }

        return count > 0 && sum % 10 == 0;
    }

    private static void Add(ref List<Hit>? hits, Hit hit)
    {
        if (hits is null)
        {
            hits = [hit];
            return;
        }

        foreach (var h in hits)
        {
            if (hit.Start < h.Start + h.Length && h.Start < hit.Start + hit.Length)
            {
                return;
            }
        }

        hits.Add(hit);
    }

    private static int CountDigits(ReadOnlySpan<char> value)
    {
        var n = 0;
        foreach (var c in value)
        {
            if (char.IsAsciiDigit(c))
            {
                n++;
            }
        }

        return n;
    }

    // Starts only at the beginning of a run of local-part characters (so a long run without '@' is scanned once).
    // Runs on decoded text: no JSON escape or percent sign stands in for a character here.
    [GeneratedRegex(@"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9\-])", RegexOptions.CultureInvariant)]
    private static partial Regex EmailRegex { get; }

    // 13–19 digits starting 2–6 (the major networks; excludes epoch-millisecond timestamps, which start with 1):
    // contiguous, in groups of four with one consistent space or dash, or Amex 4-6-5. The Luhn check is in code.
    // Not part of a decimal number (0.4111111111111111 is a similarity in a run result, not a card). Only '.': a comma
    // between two cards (4111111111111111,5555555555554444) is a list.
    // No capture groups or backreferences: those make the engine allocate per scan.
    [GeneratedRegex(@"(?<!\d\.?)(?:[2-6]\d{12,18}|[2-6]\d{3}(?: \d{4} \d{4} \d{1,4}(?: \d{1,3})?|-\d{4}-\d{4}-\d{1,4}(?:-\d{1,3})?)|3\d{3}[ \-]\d{6}[ \-]\d{4,5})(?!\.?\d)", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex CardRegex { get; }

    // International with '+' (+44 20 7946 0958, +1 (555) 123-4567) or with the "00" prefix (0044 20 7946 0958),
    // North American ((555) 123-4567, 555-123-4567, 555.123.4567), national trunk-prefixed (07700 900123,
    // 020 7946 0958) and plain North American digits (4155550132, 14155550132: area code and exchange start 2–9,
    // not part of a decimal). The digit count (7–15 after the prefix) is checked in code. Dates (2026-12-03), times,
    // amounts, epoch seconds (start with 1) and short ids do not have these shapes; the README lists what does.
    [GeneratedRegex(@"(?:(?<![\w+])\+\d{1,3}(?:[ .\-]?(?:\(\d{1,4}\)|\d{1,4})){2,5}|(?<![\w+.,])00[1-9]\d{0,2}(?:[ .\-]?(?:\(\d{1,4}\)|\d{1,4})){2,5}|(?<![\w(])(?:\(\d{3}\)[ .\-]?|\d{3}[ .\-])\d{3}[ .\-]\d{4}|(?<![\w+.,])0\d{2,4}[ \-]?\d{3,4}[ \-]?\d{3,4}|(?<![\w+.,\-])1?[2-9]\d{2}[2-9]\d{6}(?![.,]\d))(?!\d)", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex PhoneRegex { get; }
}
