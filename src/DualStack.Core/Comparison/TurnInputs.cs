using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DualStack.Core.Model;

namespace DualStack.Core.Comparison;

/// <summary>
/// What a stack was given or found during one turn: the user's messages so far, its own skill-call arguments and
/// results, and the memory entries it read or wrote. A value in a reply that appears here is <em>grounded</em> (an
/// order id, a tracking number, a name from memory) and stays a fact; an id-like value or time of day that appears
/// nowhere here was made up by the stack (a reference code, "as of 11:44") and is masked.
/// </summary>
internal sealed partial class TurnInputs
{
    private readonly string _alphanumeric;
    private readonly int _messagesLength;

    private TurnInputs(string alphanumeric, int messagesLength, IReadOnlySet<string> times, IReadOnlySet<string> names)
    {
        _alphanumeric = alphanumeric;
        _messagesLength = messagesLength;
        Times = times;
        Names = names;
    }

    /// <summary>No inputs: nothing is grounded.</summary>
    public static TurnInputs Empty { get; } = new(string.Empty, 0, new HashSet<string>(), new HashSet<string>());

    /// <summary>Times of day found in the inputs, canonical <c>HH:MM</c>.</summary>
    public IReadOnlySet<string> Times { get; }

    /// <summary>Proper names found in the inputs (capitalised mid-sentence in messages and memory, or name-shaped skill result values), case-sensitive.</summary>
    public IReadOnlySet<string> Names { get; }

    /// <summary>Builds the inputs of one stack's turn.</summary>
    public static TurnInputs Build(IEnumerable<string> messages, IReadOnlyList<SkillCall>? skills, MemoryObservation? memory)
    {
        var alnum = new StringBuilder();
        var times = new HashSet<string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in messages)
        {
            AddText(TextNormalizer.MaskLaneIds(message), alnum, times, names, nameShaped: false);
        }

        var messagesLength = alnum.Length;

        foreach (var call in skills ?? [])
        {
            if (call.Arguments is { } args)
            {
                AddJson(args, alnum, times, names);
            }

            if (call.Result is { } result)
            {
                AddJson(result, alnum, times, names);
            }
        }

        // Memory entries are notes, not prose ("Lena — loyalty tier gold", "name: Oskar Chen"): every capitalised
        // word that is not a common one is a name, wherever it stands.
        foreach (var hit in (memory?.Retrieved ?? []).Concat(memory?.Written ?? []))
        {
            AddText(hit.Text, alnum, times, names, nameShaped: true, anyPosition: true);
        }

        return alnum.Length == 0 ? Empty : new TurnInputs(alnum.ToString(), messagesLength, times, names);
    }

    /// <summary>True when the token's letters and digits (lower-cased, at least 3) occur in the inputs.</summary>
    public bool Grounds(ReadOnlySpan<char> token) => Grounds(token, _alphanumeric.Length);

    /// <summary>True when the user said the token: an id the reply merely echoes, which it may leave out.</summary>
    public bool SaidByUser(ReadOnlySpan<char> token) => Grounds(token, _messagesLength);

    private bool Grounds(ReadOnlySpan<char> token, int length)
    {
        if (length == 0)
        {
            return false;
        }

        Span<char> buffer = stackalloc char[Math.Min(token.Length, 128)];
        var n = 0;
        foreach (var c in token)
        {
            if (char.IsLetterOrDigit(c) && n < buffer.Length)
            {
                buffer[n++] = char.ToLowerInvariant(c);
            }
        }

        return n >= 3 && _alphanumeric.AsSpan(0, length).Contains(buffer[..n], StringComparison.Ordinal);
    }

    private static void AddJson(JsonElement element, StringBuilder alnum, HashSet<string> times, HashSet<string> names)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    AddJson(property.Value, alnum, times, names);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    AddJson(item, alnum, times, names);
                }

                break;
            case JsonValueKind.String:
                AddText(TextNormalizer.MaskLaneIds(element.GetString() ?? string.Empty), alnum, times, names, nameShaped: true);
                break;
            case JsonValueKind.Number:
                AddText(element.GetRawText(), alnum, times, names, nameShaped: false);
                break;
            default:
                break;
        }
    }

    private static void AddText(string text, StringBuilder alnum, HashSet<string> times, HashSet<string> names, bool nameShaped, bool anyPosition = false)
    {
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                alnum.Append(char.ToLowerInvariant(c));
            }
        }

        alnum.Append('|');
        foreach (Match match in FactScanner.TimeOfDay().Matches(text))
        {
            if (FactScanner.CanonicalTime(match) is { } time)
            {
                times.Add(time);
            }
        }

        foreach (Match match in IsoTime().Matches(text))
        {
            times.Add(match.Groups[1].Value + ":" + match.Groups[2].Value);
        }

        // A skill result value that is all capitalised words ("Priya Sharma", "Berlin") is a name; in free text only a
        // capitalised word inside a sentence is (a sentence's first word is capitalised anyway).
        if (nameShaped && NameValue().IsMatch(text))
        {
            foreach (Match word in FactScanner.CapitalisedWord().Matches(text))
            {
                if (!FactScanner.IsCommonCapitalised(word.Value))
                {
                    names.Add(word.Value);
                }
            }

            return;
        }

        foreach (Match word in FactScanner.CapitalisedWord().Matches(text))
        {
            if ((anyPosition || !FactScanner.StartsSentence(text, word.Index)) && !FactScanner.IsCommonCapitalised(word.Value))
            {
                names.Add(word.Value);
            }
        }
    }

    [GeneratedRegex(@"T(\d{2}):(\d{2})", RegexOptions.CultureInvariant)]
    private static partial Regex IsoTime();

    [GeneratedRegex(@"^\s*\p{Lu}\p{Ll}+(?:[ '-]\p{Lu}\p{Ll}+){0,3}\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex NameValue();
}
