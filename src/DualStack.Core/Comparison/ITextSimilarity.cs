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

        // Words are counted by a 64-bit hash of their characters (FNV-1a): no string per token, one lookup each. Two
        // different words sharing a hash would count as one; at 64 bits that is ~1e-15 for a reply of a few hundred
        // words, far below what a similarity score can show.
        var counts = new Dictionary<ulong, int>(64);
        var totalA = 0;
        var rest = a.AsSpan();
        while (TextNormalizer.NextToken(ref rest, out var token))
        {
            ref var n = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, Hash(token), out _);
            n++;
            totalA++;
        }

        var totalB = 0;
        var common = 0;
        rest = b.AsSpan();
        while (TextNormalizer.NextToken(ref rest, out var token))
        {
            totalB++;
            ref var n = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(counts, Hash(token));
            if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref n) && n > 0)
            {
                n--;
                common++;
            }
        }

        return totalA + totalB == 0 ? 1 : 2.0 * common / (totalA + totalB);
    }

    private static ulong Hash(ReadOnlySpan<char> word)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in word)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
