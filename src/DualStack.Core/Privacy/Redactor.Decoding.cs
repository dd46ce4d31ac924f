using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DualStack.Core.Privacy;

// Decoding: JSON escapes and percent-encoded UTF-8, nested, with a map back to the encoded spans.
public sealed partial class Redactor
{
    // Nested encodings decoded at most: JSON in a JSON string in a URL-encoded form field is three.
    private const int MaxDecodeLevels = 3;

    private static readonly SearchValues<char> EncodingStarts = SearchValues.Create("\\%");

    private static readonly SearchValues<char> EncodingStartsWithPlus = SearchValues.Create("\\%+");

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
        var specials = plusIsSpace ? EncodingStartsWithPlus : EncodingStarts;
        while (i < source.Length)
        {
            // The run of plain characters up to the next '\\', '%' (or '+'), copied in bulk: most of a body.
            var run = source[i..].IndexOfAny(specials);
            run = run < 0 ? source.Length - i : run;
            if (run > 0)
            {
                source.Slice(i, run).CopyTo(destination[n..]);
                MapRun(sourceStarts, i, starts.Slice(n, run), 0);
                MapRun(sourceEnds, i, ends.Slice(n, run), 1);

                n += run;
                i += run;
                if (i >= source.Length)
                {
                    break;
                }
            }

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

    // The map of a run of plain characters at source position i: copied from the source's map, or (source is the
    // original) the positions themselves, plus offset (1 for ends: a character ends where the next one starts).
    private static void MapRun(int[]? sourceMap, int i, Span<int> map, int offset)
    {
        if (sourceMap is not null)
        {
            sourceMap.AsSpan(i, map.Length).CopyTo(map);
            return;
        }

        for (var k = 0; k < map.Length; k++)
        {
            map[k] = i + k + offset;
        }
    }

    private static byte HexByte(ReadOnlySpan<char> text, int i) => (byte)((HexValue(text[i]) << 4) | HexValue(text[i + 1]));

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
