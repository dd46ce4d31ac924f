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

        // Tokens are looked up as spans: a token string is allocated only the first time a word of a is seen, none for
        // b. The dictionary maps a word to a slot of a count array, so each token of b costs one hash lookup.
        var slots = new Dictionary<string, int>(64, StringComparer.Ordinal);
        var lookup = slots.GetAlternateLookup<ReadOnlySpan<char>>();
        var counts = System.Buffers.ArrayPool<int>.Shared.Rent((a.Length / 2) + 2); // a word is at least one character plus a separator
        try
        {
            var totalA = 0;
            var rest = a.AsSpan();
            while (TextNormalizer.NextToken(ref rest, out var token))
            {
                ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(lookup, token, out var seen);
                if (!seen)
                {
                    slot = slots.Count - 1;
                    counts[slot] = 0;
                }

                counts[slot]++;
                totalA++;
            }

            var totalB = 0;
            var common = 0;
            rest = b.AsSpan();
            while (TextNormalizer.NextToken(ref rest, out var token))
            {
                totalB++;
                if (lookup.TryGetValue(token, out var slot) && counts[slot] > 0)
                {
                    counts[slot]--;
                    common++;
                }
            }

            return totalA + totalB == 0 ? 1 : 2.0 * common / (totalA + totalB);
        }
        finally
        {
            System.Buffers.ArrayPool<int>.Shared.Return(counts);
        }
    }
}
