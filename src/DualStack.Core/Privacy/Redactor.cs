using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DualStack.Core.Privacy;

/// <summary>
/// Replaces personal data in captured text with stable tokens: e-mail addresses (<c>&lt;email:ab12cd34&gt;</c>),
/// phone numbers (<c>&lt;phone:…&gt;</c>), Luhn-valid card numbers (<c>&lt;card:…&gt;</c>) and matches of extra
/// patterns (<c>&lt;secret:…&gt;</c>). The 8 hex characters are a truncated HMAC-SHA256 of the normalised value
/// under a per-instance key: the same value gets the same token for the life of the instance (one capture session),
/// so conversations stay coherent, while tokens from different sessions cannot be correlated. Safe for concurrent use.
/// </summary>
/// <remarks>
/// Works on plain text, JSON text and URL parts alike: patterns run on the decoded text (JSON <c>\uXXXX</c> and
/// <c>\n</c>-style escapes, percent-encoded UTF-8, nested up to three levels), and a match replaces the whole encoded
/// span it came from; the token is made from the decoded value, so <c>bob\u0040corp.example</c>,
/// <c>bob%40corp.example</c> and <c>bob@corp.example</c> get the same token. Tokens contain no character that needs
/// escaping in JSON, so valid JSON stays valid; a card or phone written as a bare JSON number becomes a quoted token
/// (extra patterns must not match <c>"</c> or <c>\</c>).
/// </remarks>
public sealed partial class Redactor
{
    // Nested encodings decoded at most: JSON in a JSON string in a URL-encoded form field is three.
    private const int MaxDecodeLevels = 3;

    private static readonly SearchValues<char> EncodingStarts = SearchValues.Create("\\%");
    private static readonly SearchValues<char> EncodingStartsWithPlus = SearchValues.Create("\\%+");

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
    /// matched (no allocation). Values are found in the decoded text: JSON escapes (<c>bob\u0040corp.example</c>,
    /// also JSON inside a JSON string) and percent-encoding (<c>bob%40corp.example</c>) are decoded, up to three
    /// nested levels, and a match replaces the whole encoded span, so the rest of the text stays byte for byte.
    /// </summary>
    /// <exception cref="RegexMatchTimeoutException">An extra pattern took longer than one second.</exception>
    public string Redact(string text) => Redact(text, plusIsSpace: false);

    /// <summary>
    /// Like <see cref="Redact(string)"/> for a query string or an <c>application/x-www-form-urlencoded</c> body,
    /// where <c>+</c> stands for a space (<c>4111+1111+1111+1111</c>).
    /// </summary>
    public string RedactQuery(string text) => Redact(text, plusIsSpace: true);

    /// <summary>
    /// A copy of <paramref name="value"/> whose every string, property name and card- or phone-shaped number is
    /// redacted: its JSON form (escapes and nested JSON decoded, as <see cref="Redact(string)"/> does) redacted and
    /// read back; the same instance when nothing matched. For what is stored or written beside the captures (shadow
    /// comparisons, run results built from captures).
    /// </summary>
    /// <exception cref="JsonException">The redacted form no longer reads as <typeparamref name="T"/> (a typed number
    /// field held a card- or phone-shaped value): the caller drops the value rather than keep it unredacted.</exception>
    public T RedactJson<T>(T value, JsonSerializerOptions options)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(value);
        var json = JsonSerializer.Serialize(value, options);
        var redacted = Redact(json);
        return ReferenceEquals(json, redacted) ? value : JsonSerializer.Deserialize<T>(redacted, options) ?? throw new JsonException("redacted value read back as null");
    }

    private string Redact(string text, bool plusIsSpace)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return text;
        }

        var span = text.AsSpan();
        if (!HasEncoding(span, plusIsSpace))
        {
            var plain = Find(span);
            return plain is null ? text : Replace(span, span, plain);
        }

        // Decoded view with, for each of its characters, the span of the original text it came from. Pooled buffers:
        // a body with "\n" escapes and nothing to redact still allocates nothing.
        var pool = ArrayPool<char>.Shared;
        var ints = ArrayPool<int>.Shared;
        char[] view = pool.Rent(text.Length), next = pool.Rent(text.Length);
        int[] starts = ints.Rent(text.Length), ends = ints.Rent(text.Length), nextStarts = ints.Rent(text.Length), nextEnds = ints.Rent(text.Length);
        try
        {
            var length = Decode(span, plusIsSpace, null, null, view, starts, ends);
            for (var level = 1; level < MaxDecodeLevels && HasEncoding(view.AsSpan(0, length), plusIsSpace: false); level++)
            {
                var decoded = Decode(view.AsSpan(0, length), plusIsSpace: false, starts, ends, next, nextStarts, nextEnds);
                if (decoded == length)
                {
                    break; // nothing decodable after all ("50%", a lone backslash)
                }

                (view, next) = (next, view);
                (starts, nextStarts) = (nextStarts, starts);
                (ends, nextEnds) = (nextEnds, ends);
                length = decoded;
            }

            var decodedView = view.AsSpan(0, length);
            var hits = Find(decodedView);
            if (hits is null)
            {
                return text;
            }

            for (var i = 0; i < hits.Count; i++)
            {
                var h = hits[i];
                var start = starts[h.Start];
                hits[i] = h with { Start = start, Length = ends[h.Start + h.Length - 1] - start, ValueStart = h.Start, ValueLength = h.Length };
            }

            return Replace(span, decodedView, hits);
        }
        finally
        {
            pool.Return(view);
            pool.Return(next);
            ints.Return(starts);
            ints.Return(ends);
            ints.Return(nextStarts);
            ints.Return(nextEnds);
        }
    }

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

    // True when the text holds something Decode would turn into another character.
    private static bool HasEncoding(ReadOnlySpan<char> text, bool plusIsSpace)
    {
        var i = text.IndexOfAny(plusIsSpace ? EncodingStartsWithPlus : EncodingStarts);
        while (i >= 0 && i < text.Length)
        {
            if (EncodedLength(text, i, plusIsSpace) > 0)
            {
                return true;
            }

            var rest = text[(i + 1)..];
            var n = rest.IndexOfAny(plusIsSpace ? EncodingStartsWithPlus : EncodingStarts);
            i = n < 0 ? -1 : i + 1 + n;
        }

        return false;
    }

    // Length of the escape starting at i ("\u0040" 6, "\n" 2, "%40" 3, "+" 1 in a query), 0 when there is none.
    // Percent-encoded UTF-8 ("%C3%A9") is measured per byte here; Decode joins the bytes of one character.
    private static int EncodedLength(ReadOnlySpan<char> text, int i, bool plusIsSpace)
    {
        var c = text[i];
        if (c == '\\' && i + 1 < text.Length)
        {
            var e = text[i + 1];
            if (e == 'u')
            {
                return i + 5 < text.Length && char.IsAsciiHexDigit(text[i + 2]) && char.IsAsciiHexDigit(text[i + 3])
                    && char.IsAsciiHexDigit(text[i + 4]) && char.IsAsciiHexDigit(text[i + 5]) ? 6 : 0;
            }

            return e is '"' or '\\' or '/' or 'b' or 'f' or 'n' or 'r' or 't' ? 2 : 0;
        }

        if (c == '%')
        {
            return i + 2 < text.Length && char.IsAsciiHexDigit(text[i + 1]) && char.IsAsciiHexDigit(text[i + 2]) ? 3 : 0;
        }

        return c == '+' && plusIsSpace ? 1 : 0;
    }

    // One level of decoding of source into destination; map[j] = the span of the original text behind destination[j]
    // (sourceStarts/sourceEnds map source positions to the original; null = source is the original). Returns the
    // decoded length. Invalid sequences ("\x", "%zz", a lone "%C3") are copied as they are.
    private static int Decode(ReadOnlySpan<char> source, bool plusIsSpace, int[]? sourceStarts, int[]? sourceEnds, Span<char> destination, Span<int> starts, Span<int> ends)
    {
        var n = 0;
        Span<byte> bytes = stackalloc byte[4];
        Span<char> chars = stackalloc char[2];
        var i = 0;
        while (i < source.Length)
        {
            var consumed = 1;
            var written = 1;
            chars[0] = source[i];
            var length = EncodedLength(source, i, plusIsSpace);
            if (length == 6)
            {
                chars[0] = (char)((HexByte(source, i + 2) << 8) | HexByte(source, i + 4));
                consumed = 6;
            }
            else if (length == 2)
            {
                chars[0] = source[i + 1] switch
                {
                    'b' => '\b',
                    'f' => '\f',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    var e => e,
                };
                consumed = 2;
            }
            else if (length == 3)
            {
                bytes[0] = HexByte(source, i + 1);
                var need = bytes[0] switch
                {
                    < 0x80 => 1,
                    >= 0xC2 and < 0xE0 => 2,
                    >= 0xE0 and < 0xF0 => 3,
                    >= 0xF0 and < 0xF5 => 4,
                    _ => 0,
                };
                var have = need == 0 ? 0 : 1;
                while (have < need && i + (3 * have) < source.Length && source[i + (3 * have)] == '%' && EncodedLength(source, i + (3 * have), false) == 3)
                {
                    bytes[have] = HexByte(source, i + (3 * have) + 1);
                    have++;
                }

                if (need > 0 && have == need && Rune.DecodeFromUtf8(bytes[..need], out var rune, out _) == OperationStatus.Done)
                {
                    written = rune.EncodeToUtf16(chars);
                    consumed = 3 * need;
                }
            }
            else if (length == 1)
            {
                chars[0] = ' ';
            }

            var start = sourceStarts is null ? i : sourceStarts[i];
            var end = sourceEnds is null ? i + consumed : sourceEnds[i + consumed - 1];
            for (var k = 0; k < written; k++)
            {
                destination[n] = chars[k];
                starts[n] = start;
                ends[n] = end;
                n++;
            }

            i += consumed;
        }

        return n;
    }

    private static byte HexByte(ReadOnlySpan<char> text, int i) => (byte)((HexValue(text[i]) << 4) | HexValue(text[i + 1]));

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

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

    private string Replace(ReadOnlySpan<char> text, ReadOnlySpan<char> values, List<Hit> hits)
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

            start = Math.Max(start, pos); // two hits from one escape (a surrogate pair) never overlap in the text
            sb.Append(text[pos..start]);
            var written = WriteToken(hit.Kind, values.Slice(hit.ValueStart, hit.ValueLength), token);
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

    // Start/Length: the span replaced in the text; ValueStart/ValueLength: the decoded value the token is made from.
    private readonly record struct Hit(int Start, int Length, Kind Kind, int ValueStart, int ValueLength)
    {
        public Hit(int start, int length, Kind kind)
            : this(start, length, kind, start, length)
        {
        }
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
