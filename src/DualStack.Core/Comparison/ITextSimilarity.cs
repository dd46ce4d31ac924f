namespace DualStack.Core.Comparison;

/// <summary>Similarity of two texts in [0,1]; implementations are thread-safe.</summary>
public interface ITextSimilarity
{
    /// <summary>Short name for reports, e.g. <c>lexical</c> or <c>minilm</c>.</summary>
    string Name { get; }

    /// <summary>1 for the same meaning or words, 0 for nothing in common.</summary>
    double Similarity(string a, string b);
}

/// <summary>Word-multiset Dice coefficient on normalised text: cheap, allocation-light, blind to synonyms.</summary>
public sealed class LexicalSimilarity : ITextSimilarity
{
    /// <summary>The shared instance.</summary>
    public static LexicalSimilarity Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "lexical";

    /// <inheritdoc />
    public double Similarity(string a, string b)
    {
        if (string.Equals(a, b, StringComparison.Ordinal))
        {
            return 1;
        }

        // Tokens are looked up as spans: a token string is allocated only the first time a word of a is seen, none for b.
        var counts = new Dictionary<string, int>(64, StringComparer.Ordinal);
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        var totalA = 0;
        var rest = a.AsSpan();
        while (TextNormalizer.NextToken(ref rest, out var token))
        {
            ref var n = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(lookup, token, out _);
            n++;
            totalA++;
        }

        var totalB = 0;
        var common = 0;
        rest = b.AsSpan();
        while (TextNormalizer.NextToken(ref rest, out var token))
        {
            totalB++;
            if (lookup.TryGetValue(token, out var n) && n > 0)
            {
                lookup[token] = n - 1;
                common++;
            }
        }

        return totalA + totalB == 0 ? 1 : 2.0 * common / (totalA + totalB);
    }
}
