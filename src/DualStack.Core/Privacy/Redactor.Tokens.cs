using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DualStack.Core.Privacy;

// Tokens: replacing each hit's encoded span with a keyed token of its normalised value.
public sealed partial class Redactor
{
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
}
