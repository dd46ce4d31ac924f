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
        var redacted = RedactJsonText(json);
        return ReferenceEquals(json, redacted) ? value : JsonSerializer.Deserialize<T>(redacted, options) ?? throw new JsonException("redacted value read back as null");
    }

    /// <summary>
    /// <paramref name="json"/> redacted as <see cref="Redact(string)"/> does, with its structure kept: when anything
    /// matched, each string value, property name and number is redacted on its own and the document written again. A
    /// pattern run over the whole text can take structure with it (<c>password=\S+</c> over
    /// <c>{"reply":"password=abc","skillCalls":[]}</c> eats the closing quote and every field after it, and the result
    /// can even still parse, with fields missing). Text that is not JSON (a truncated body), and JSON a pattern matches
    /// across values, are redacted as text. The same instance when nothing matched.
    /// </summary>
    public string RedactJsonText(string json)
    {
        var whole = Redact(json);
        if (ReferenceEquals(whole, json))
        {
            return json;
        }

        string each;
        try
        {
            each = RedactEachValue(json);
        }
        catch (JsonException)
        {
            return whole; // not JSON to begin with: no structure to keep
        }

        // A pattern written for the JSON text itself ("password":\s*"[^"]*") spans a name and its value, which no single
        // value holds: when anything still matches, the text-wide result stands. Nothing a pattern finds is ever kept.
        return ReferenceEquals(Redact(each), each) ? each : whole;
    }

    private string RedactEachValue(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        var output = new ArrayBufferWriter<byte>(json.Length + 64);
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: writer.WriteStartObject(); break;
                    case JsonTokenType.EndObject: writer.WriteEndObject(); break;
                    case JsonTokenType.StartArray: writer.WriteStartArray(); break;
                    case JsonTokenType.EndArray: writer.WriteEndArray(); break;
                    case JsonTokenType.PropertyName: writer.WritePropertyName(Redact(reader.GetString()!)); break;
                    case JsonTokenType.String: writer.WriteStringValue(Redact(reader.GetString()!)); break;
                    case JsonTokenType.Number:
                        var number = Encoding.UTF8.GetString(reader.ValueSpan);
                        var redacted = Redact(number);
                        if (ReferenceEquals(number, redacted))
                        {
                            writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                        }
                        else
                        {
                            writer.WriteStringValue(redacted); // a card-shaped number becomes its token, as a string
                        }

                        break;
                    case JsonTokenType.True: writer.WriteBooleanValue(true); break;
                    case JsonTokenType.False: writer.WriteBooleanValue(false); break;
                    case JsonTokenType.Null: writer.WriteNullValue(); break;
                }
            }
        }

        return Encoding.UTF8.GetString(output.WrittenSpan);
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

    // Start/Length: the span replaced in the text; ValueStart/ValueLength: the decoded value the token is made from.
    private readonly record struct Hit(int Start, int Length, Kind Kind, int ValueStart, int ValueLength)
    {
        public Hit(int start, int length, Kind kind)
            : this(start, length, kind, start, length)
        {
        }
    }
}
