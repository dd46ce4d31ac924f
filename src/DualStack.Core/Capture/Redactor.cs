using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace DualStack.Core.Capture;

/// <summary>
/// Replaces personal data in captured text with stable tokens: e-mail addresses (<c>&lt;email:ab12cd34&gt;</c>),
/// phone numbers (<c>&lt;phone:…&gt;</c>), Luhn-valid card numbers (<c>&lt;card:…&gt;</c>) and matches of extra
/// patterns (<c>&lt;secret:…&gt;</c>). The 8 hex characters are a truncated HMAC-SHA256 of the normalised value
/// under a per-instance key: the same value gets the same token for the life of the instance (one capture session),
/// so conversations stay coherent, while tokens from different sessions cannot be correlated. Safe for concurrent use.
/// </summary>
/// <remarks>
/// Works on plain text and on JSON text: matches never start inside a JSON escape sequence and tokens contain no
/// character that needs escaping, so valid JSON stays valid (extra patterns must not match <c>"</c> or <c>\</c>).
/// </remarks>
public sealed partial class Redactor
{
    // Matches never start right after a JSON escape introducer ("\n", "\u00e9"), so replacing them cannot break an
    // escape sequence.
    private const string NotInEscape = @"(?<!\\(?:u[0-9A-Fa-f]{0,3})?)";

    // What precedes the last character of a JSON escape ("\" before 'n', "\u00e" before '9'): a word character
    // after it is the end of an escape, not part of the value, so a value may start right after it.
    private const string EscapeLead = @"\\(?:u[0-9A-Fa-f]{3})?";

    private static readonly TimeSpan ExtraPatternTimeout = TimeSpan.FromSeconds(1);

    private readonly byte[] _key;
    private readonly Regex[] _extra;

    /// <summary>Creates a redactor.</summary>
    /// <param name="extraPatterns">Regexes whose matches are redacted as <c>secret</c>; may be empty.</param>
    /// <param name="key">HMAC key for the tokens; default 32 random bytes, never persisted.</param>
    /// <exception cref="ArgumentException">A pattern is not a valid regex (the message names it), or the key is empty.</exception>
    public Redactor(IReadOnlyList<string> extraPatterns, byte[]? key = null)
    {
        ArgumentNullException.ThrowIfNull(extraPatterns);
        if (key is { Length: 0 })
        {
            throw new ArgumentException("The redaction key is empty.", nameof(key));
        }

        _key = key is null ? RandomNumberGenerator.GetBytes(32) : (byte[])key.Clone();
        _extra = new Regex[extraPatterns.Count];
        for (var i = 0; i < extraPatterns.Count; i++)
        {
            var pattern = extraPatterns[i];
            if (string.IsNullOrEmpty(pattern))
            {
                throw new ArgumentException($"redact pattern {i + 1} is empty", nameof(extraPatterns));
            }

            try
            {
                _extra[i] = new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant, ExtraPatternTimeout);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"redact pattern {i + 1} '{pattern}' is not a valid regex: {ex.Message}", nameof(extraPatterns), ex);
            }
        }
    }

    private enum Kind : byte
    {
        Secret,
        Email,
        Card,
        Phone,
    }

    /// <summary>
    /// Returns <paramref name="text"/> with personal data replaced by tokens; the same instance when nothing
    /// matched (no allocation).
    /// </summary>
    /// <exception cref="RegexMatchTimeoutException">An extra pattern took longer than one second.</exception>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return text;
        }

        var span = text.AsSpan();
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
            return hits is null ? text : Replace(span, hits);
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
            if (CountDigits(span.Slice(m.Index, m.Length)) is >= 7 and <= 15)
            {
                Add(ref hits, new Hit(m.Index, m.Length, Kind.Phone));
            }
        }

        return hits is null ? text : Replace(span, hits);
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

    private string Replace(ReadOnlySpan<char> text, List<Hit> hits)
    {
        hits.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        var sb = new StringBuilder(text.Length + (hits.Count * 16));
        var trimmed = text.TrimStart();
        var json = trimmed.Length > 0 && trimmed[0] is '{' or '[';
        var inString = false;
        var scan = 0;
        var pos = 0;
        Span<char> token = stackalloc char[24];
        foreach (var hit in hits)
        {
            // In JSON text a hit outside a string is (part of) a bare number such as 4111111111111111 or
            // -4111111111111111.5: the whole number becomes a quoted token so the document stays valid.
            var start = hit.Start;
            var end = hit.Start + hit.Length;
            var quote = false;
            if (json)
            {
                for (; scan < start; scan++)
                {
                    var c = text[scan];
                    if (c == '"')
                    {
                        inString = !inString;
                    }
                    else if (c == '\\' && inString)
                    {
                        scan++;
                    }
                }

                quote = !inString;
                if (quote)
                {
                    while (start > pos && IsJsonNumberChar(text[start - 1]))
                    {
                        start--;
                    }

                    while (end < text.Length && IsJsonNumberChar(text[end]))
                    {
                        end++;
                    }
                }

                scan = Math.Max(scan, end);
            }

            sb.Append(text[pos..start]);
            var written = WriteToken(hit.Kind, text.Slice(hit.Start, hit.Length), token);
            if (quote)
            {
                sb.Append('"').Append(token[..written]).Append('"');
            }
            else
            {
                sb.Append(token[..written]);
            }

            pos = end;
        }

        sb.Append(text[pos..]);
        return sb.ToString();
    }

    private static bool IsJsonNumberChar(char c) => char.IsAsciiDigit(c) || c is '-' or '+' or '.' or 'e' or 'E';

    private int WriteToken(Kind kind, ReadOnlySpan<char> value, Span<char> destination)
    {
        var prefix = kind switch
        {
            Kind.Email => "<email:",
            Kind.Phone => "<phone:",
            Kind.Card => "<card:",
            _ => "<secret:",
        };

        // HMAC input: kind, ':' and the normalised value, so an e-mail and a secret with the same text differ.
        var maxBytes = 2 + Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = null;
        var input = maxBytes <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            input[0] = (byte)('0' + (int)kind);
            input[1] = (byte)':';
            var length = 2 + Normalise(kind, value, input[2..]);
            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(_key, input[..length], mac);

            prefix.CopyTo(destination);
            var pos = prefix.Length;
            Convert.TryToHexStringLower(mac[..4], destination[pos..], out var hexChars);
            pos += hexChars;
            destination[pos++] = '>';
            return pos;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static int Normalise(Kind kind, ReadOnlySpan<char> value, Span<byte> destination)
    {
        switch (kind)
        {
            case Kind.Email:
                {
                    // ASCII-only by the pattern: lower-case byte by byte.
                    var n = 0;
                    foreach (var c in value)
                    {
                        destination[n++] = (byte)char.ToLowerInvariant(c);
                    }

                    return n;
                }

            case Kind.Card:
            case Kind.Phone:
                {
                    // Digits only ("+44 20 7946 0958" and "+442079460958" are the same number); a leading '+' stays.
                    var n = 0;
                    foreach (var c in value)
                    {
                        if (char.IsAsciiDigit(c) || (c == '+' && n == 0))
                        {
                            destination[n++] = (byte)c;
                        }
                    }

                    return n;
                }

            default:
                return Encoding.UTF8.GetBytes(value, destination);
        }
    }

    private readonly record struct Hit(int Start, int Length, Kind Kind);

    // Starts only at the beginning of a run of local-part characters (so a long run without '@' is scanned once);
    // a JSON escape ("\nbob@…", "\u00e9bob@…") does not count as part of the run.
    [GeneratedRegex(NotInEscape + @"(?<!(?<!" + EscapeLead + @")[A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9\-])", RegexOptions.CultureInvariant)]
    private static partial Regex EmailRegex { get; }

    // 13–19 digits starting 2–6 (the major networks; excludes epoch-millisecond timestamps, which start with 1):
    // contiguous, in groups of four with one consistent space or dash, or Amex 4-6-5. The Luhn check is in code.
    // No capture groups or backreferences: those make the engine allocate per scan.
    [GeneratedRegex(NotInEscape + @"(?<!(?<!" + EscapeLead + @")\d)(?:[2-6]\d{12,18}|[2-6]\d{3}(?: \d{4} \d{4} \d{1,4}(?: \d{1,3})?|-\d{4}-\d{4}-\d{1,4}(?:-\d{1,3})?)|3\d{3}[ \-]\d{6}[ \-]\d{4,5})(?!\d)", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex CardRegex { get; }

    // International (+44 20 7946 0958, +1 (555) 123-4567), North American ((555) 123-4567, 555-123-4567,
    // 555.123.4567) and national trunk-prefixed numbers (07700 900123, 020 7946 0958). The digit count (7–15) is
    // checked in code. Dates (2026-12-03), times, amounts and short ids do not have these shapes.
    [GeneratedRegex(NotInEscape + @"(?:(?<!(?<!" + EscapeLead + @")[\w+])\+\d{1,3}(?:[ .\-]?(?:\(\d{1,4}\)|\d{1,4})){2,5}|(?<!(?<!" + EscapeLead + @")[\w(])(?:\(\d{3}\)[ .\-]?|\d{3}[ .\-])\d{3}[ .\-]\d{4}|(?<!(?<!" + EscapeLead + @")[\w+])0\d{2,4}[ \-]?\d{3,4}[ \-]?\d{3,4})(?!\d)", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex PhoneRegex { get; }
}
