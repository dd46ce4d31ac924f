using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DualStack.Core.Comparison;

/// <summary>
/// Strips markdown and chat formatting before any reply comparison: bold, italics, headings, bullets, numbered-list
/// markers, block quotes, code fences and inline code, link syntax, emoji and check marks. What is said stays; how it
/// is dressed goes, so a stack that answers in markdown compares equal to one that answers in plain text.
/// </summary>
internal static partial class ChatFormatting
{
    /// <summary>The text without formatting; line breaks become sentence-separating spaces. Returns the input when it holds no formatting characters.</summary>
    public static string Strip(string text)
    {
        if (text.Length == 0 || !NeedsWork(text))
        {
            return text;
        }

        var result = CodeFence().Replace(text, " ");
        result = Link().Replace(result, "$1 $2");
        result = LineMarker().Replace(result, string.Empty);
        result = Emphasis().Replace(result, "$2");
        result = result.Replace("`", string.Empty, StringComparison.Ordinal);
        return RemoveSymbols(result);
    }

    // A bullet needs a line start: "-" inside a line ("e-mail", "BK-22817") is not formatting.
    private static readonly SearchValues<char> Marks = SearchValues.Create("*_#`>[\n•|\r");

    private static bool NeedsWork(string text)
    {
        var span = text.AsSpan();
        return span.ContainsAny(Marks) || span.TrimStart().StartsWith('-') || span.ContainsAnyExceptInRange('\0', '\u2000');
    }

    /// <summary>Drops emoji, pictographs, check marks, variation selectors and table pipes; keeps currency symbols and letters of every script.</summary>
    private static string RemoveSymbols(string text)
    {
        var builder = new StringBuilder(text.Length);
        var lineHasText = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n')
            {
                // A line break ends a sentence for the sentence splitter and the polarity scope.
                builder.Append(lineHasText ? ". " : " ");
                lineHasText = false;
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var category = CharUnicodeInfo.GetUnicodeCategory(text, i);
                i++;
                if (category is UnicodeCategory.OtherSymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherNotAssigned)
                {
                    continue;
                }

                builder.Append(c).Append(text[i]);
                lineHasText = true;
                continue;
            }

            var cat = CharUnicodeInfo.GetUnicodeCategory(c);
            if (c is '|' or '\u200d' or '\ufe0f' or '\ufe0e' || cat is UnicodeCategory.OtherSymbol || (cat is UnicodeCategory.ModifierSymbol && c > '\u007f'))
            {
                builder.Append(' ');
                continue;
            }

            if (c != '\r')
            {
                builder.Append(c);
                lineHasText |= !char.IsWhiteSpace(c) && c is not '.' and not '!' and not '?' and not ':';
            }
        }

        return builder.ToString();
    }

    [GeneratedRegex(@"```[^\n]*\n?|~~~[^\n]*\n?", RegexOptions.CultureInvariant)]
    private static partial Regex CodeFence();

    // [text](url) → "text url": the link target may be a fact (a URL), the text is what is said.
    [GeneratedRegex(@"!?\[([^\]\n]*)\]\(([^)\s]*)\)", RegexOptions.CultureInvariant)]
    private static partial Regex Link();

    // At the start of a line: headings, block quotes, bullets, numbered-list markers, task boxes, horizontal rules.
    [GeneratedRegex(@"(?m)^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|(?:[-*+•▪◦‣][ \t]+)(?:\[[ xX]\][ \t]+)?|\d{1,3}[.)][ \t]+|[-*_]{3,}[ \t]*$)", RegexOptions.CultureInvariant)]
    private static partial Regex LineMarker();

    [GeneratedRegex(@"(?<![\w*_~])(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1(?![\w*_~])", RegexOptions.CultureInvariant)]
    private static partial Regex Emphasis();
}
