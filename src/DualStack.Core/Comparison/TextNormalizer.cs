using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DualStack.Core.Comparison;

/// <summary>Masks what legitimately varies between runs (timestamps, generated ids) and canonicalises formatting (amounts, whitespace, case).</summary>
public sealed partial class TextNormalizer
{
    private readonly IReadOnlyList<(Regex Pattern, string Replacement)> _custom;
    private readonly bool _defaults;

    /// <summary>Creates a normaliser from the reply configuration.</summary>
    public TextNormalizer(ReplyComparisonConfig config)
    {
        _defaults = config.DefaultNormalizers;
        _custom = config.Normalize
            .Where(r => !string.IsNullOrEmpty(r.Pattern))
            .Select(r => (new Regex(r.Pattern!, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), r.Replacement))
            .ToArray();
    }

    /// <summary>Normalised, lower-case text.</summary>
    public string Normalize(string text)
    {
        var result = MaskLaneIds(text);
        if (_defaults)
        {
            result = Timestamp().Replace(result, "<timestamp>");
            result = Uuid().Replace(result, "<uuid>");
            result = Reference().Replace(result, "<ref>");
            result = ReplaceAmounts(SymbolAmount(), result, AmountForm.SymbolFirst);
            result = ReplaceAmounts(CodeAmount(), result, AmountForm.CodeLast);
            result = ReplaceAmounts(CodeFirstAmount(), result, AmountForm.CodeFirst);
        }

        foreach (var (pattern, replacement) in _custom)
        {
            result = pattern.Replace(result, replacement);
        }

        return CollapseWhitespaceAndLower(result);
    }

    /// <summary>
    /// Masks what the stack generated on its own (lane ids, timestamps, uuids, reference ids) and applies the scenario's
    /// extra rules, keeping case and everything else: the input of the reply judge's fact scanner.
    /// </summary>
    public string MaskGenerated(string text)
    {
        var result = MaskLaneIds(text);
        if (_defaults)
        {
            // Each pattern needs hyphens (a timestamp's date, a uuid's four, a reference's one): most replies skip all three.
            var (digitHyphen, hexHyphens) = Hyphens(result);
            if (digitHyphen)
            {
                result = Timestamp().Replace(result, "<timestamp>");
            }

            if (hexHyphens >= 4)
            {
                result = Uuid().Replace(result, "<uuid>");
            }

            if (hexHyphens + (digitHyphen ? 1 : 0) > 0 && result.AsSpan().ContainsAny(ReferencePrefixes))
            {
                result = Reference().Replace(result, "<ref>");
            }
        }

        foreach (var (pattern, replacement) in _custom)
        {
            result = pattern.Replace(result, replacement);
        }

        return result;
    }

    /// <summary>Whether a hyphen sits between two digits (a date), and how many sit between two hex digits (a uuid has four); "e-mail" counts for neither.</summary>
    private static (bool DigitHyphen, int HexHyphens) Hyphens(string text)
    {
        var digitHyphen = false;
        var hex = 0;
        var i = text.IndexOf('-', StringComparison.Ordinal);
        while (i > 0 && i + 1 < text.Length)
        {
            var before = text[i - 1];
            var after = text[i + 1];
            digitHyphen |= char.IsAsciiDigit(before) && char.IsAsciiDigit(after);
            if (char.IsAsciiHexDigit(before) && char.IsAsciiHexDigit(after))
            {
                hex++;
            }

            i = text.IndexOf('-', i + 1);
        }

        return (digitHyphen, hex);
    }

    private static readonly System.Buffers.SearchValues<string> ReferencePrefixes = System.Buffers.SearchValues.Create(
        ["ref-", "tkt-", "ticket-", "case-", "rfd-", "msg-"], StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Rewrites each amount to its canonical form ("25.00 USD"); an amount already in that form (up to case, which the
    /// lower-casing at the end removes anyway) is left alone, so the common reply is not copied at all.
    /// </summary>
    private static string ReplaceAmounts(Regex regex, string text, AmountForm form)
    {
        StringBuilder? rewritten = null;
        var last = 0;
        // The patterns fix where the parts are (symbol or code first, or code last), so no Match or Group is allocated.
        foreach (var match in regex.EnumerateMatches(text))
        {
            var amount = text.AsSpan(match.Index, match.Length);
            var number = form switch
            {
                AmountForm.SymbolFirst => amount[1..].TrimStart(),
                AmountForm.CodeLast => amount[..^3].TrimEnd(),
                _ => amount[3..].TrimStart(),
            };
            var code = form switch
            {
                // One table of currencies for the whole judge: the fact scanner's.
                AmountForm.SymbolFirst => FactScanner.CurrencyOf(amount[..1]),
                AmountForm.CodeLast => FactScanner.CurrencyOf(amount[^3..]),
                _ => FactScanner.CurrencyOf(amount[..3]),
            };
            if (IsCanonical(amount, number, code))
            {
                continue;
            }

            rewritten ??= new StringBuilder(text.Length + 16);
            rewritten.Append(text, last, match.Index - last).Append(Amount(number.ToString(), code));
            last = match.Index + match.Length;
        }

        return rewritten is null ? text : rewritten.Append(text, last, text.Length - last).ToString();
    }

    /// <summary>True when <paramref name="amount"/> reads "&lt;digits&gt;.&lt;2 digits&gt; &lt;code&gt;" already.</summary>
    private static bool IsCanonical(ReadOnlySpan<char> amount, ReadOnlySpan<char> number, string code)
    {
        var dot = number.IndexOf('.');
        return dot > 0 && dot == number.Length - 3 && !number.ContainsAnyExcept("0123456789.") && (number[0] != '0' || dot == 1)
            && amount.Length == number.Length + 1 + code.Length && amount.StartsWith(number) && amount[number.Length] == ' '
            && amount[(number.Length + 1)..].Equals(code, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Trims, collapses every run of white space to one space and lower-cases, in one copy.</summary>
    private static string CollapseWhitespaceAndLower(string text)
    {
        var buffer = System.Buffers.ArrayPool<char>.Shared.Rent(Math.Max(1, text.Length));
        try
        {
            var length = 0;
            var pendingSpace = false;
            foreach (var c in text)
            {
                if (char.IsWhiteSpace(c))
                {
                    pendingSpace = length > 0;
                    continue;
                }

                if (pendingSpace)
                {
                    buffer[length++] = ' ';
                    pendingSpace = false;
                }

                buffer[length++] = c;
            }

            return string.Create(length, buffer, static (destination, source) => source.AsSpan(0, destination.Length).ToLowerInvariant(destination));
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Removes the per-lane suffix the replayer and the shadow mirror add to ids (<c>u-1~a2~3fa2c1</c> → <c>u-1</c>), so
    /// lanes compare equal with each other and with the unsuffixed primary traffic.
    /// </summary>
    public static string MaskLaneIds(string text) => text.Contains('~', StringComparison.Ordinal) ? LaneSuffix().Replace(text, string.Empty) : text;

    /// <summary>
    /// The next lower-case word token of <paramref name="rest"/> (letters, digits and the masks; punctuation dropped)
    /// without allocating; advances
    /// <paramref name="rest"/> past it. False when no token is left.
    /// </summary>
    public static bool NextToken(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> token)
    {
        while (!rest.IsEmpty)
        {
            var start = 0;
            while (start < rest.Length && !IsWordChar(rest[start]))
            {
                start++;
            }

            var end = start;
            while (end < rest.Length && IsWordChar(rest[end]))
            {
                end++;
            }

            token = rest[start..end].Trim(".-'");
            rest = rest[end..];
            if (!token.IsEmpty)
            {
                return true;
            }
        }

        token = default;
        return false;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '<' or '>' or '.' or '-' or '\'';

    private static string Amount(string number, string currency)
    {
        var clean = number.Replace(",", string.Empty, StringComparison.Ordinal);
        return decimal.TryParse(clean, NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
            ? value.ToString("0.00", CultureInfo.InvariantCulture) + " " + currency
            : number + " " + currency;
    }

    private enum AmountForm
    {
        SymbolFirst,
        CodeLast,
        CodeFirst,
    }

    [GeneratedRegex(@"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?", RegexOptions.CultureInvariant)]
    private static partial Regex Timestamp();

    [GeneratedRegex(@"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Uuid();

    [GeneratedRegex(@"\b(?:REF|TKT|TICKET|CASE|RFD|MSG)-[A-Z0-9]{4,}\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Reference();

    [GeneratedRegex(@"(?<sym>[$€£])\s?(?<num>\d[\d,]*(?:\.\d+)?)", RegexOptions.CultureInvariant)]
    private static partial Regex SymbolAmount();

    [GeneratedRegex(@"(?<num>\d[\d,]*(?:\.\d+)?)\s?(?<code>USD|EUR|GBP)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CodeAmount();

    [GeneratedRegex(@"\b(?<code>USD|EUR|GBP)\s?(?<num>\d[\d,]*(?:\.\d+)?)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CodeFirstAmount();

    [GeneratedRegex(@"~(?:a|a2|b|b2)~[0-9a-f]{6}\b", RegexOptions.CultureInvariant)]
    private static partial Regex LaneSuffix();
}
