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

        // Words are compared by a 64-bit hash of their characters (FNV-1a): no string per token. The first text's hashes
        // go into a small open-addressing table with a count each; each word of the second text takes one from its
        // count, so shared words count as a multiset (a word twice on each side counts twice). Two different words
        // sharing a hash would count as one; at 64 bits that is ~1e-15 for a reply of a few hundred words, far below
        // what a similarity score can show.
        var rented = System.Buffers.ArrayPool<ulong>.Shared.Rent(a.Length / 2 + 1);
        try
        {
            var hashes = Hashes(a, rented);
            var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, hashes.Length * 2));
            var keys = System.Buffers.ArrayPool<ulong>.Shared.Rent(size);
            var counts = System.Buffers.ArrayPool<int>.Shared.Rent(size);
            try
            {
                var mask = size - 1;
                Array.Clear(counts, 0, size);
                foreach (var hash in hashes)
                {
                    var slot = (int)(hash ^ (hash >> 32)) & mask;
                    while (counts[slot] != 0 && keys[slot] != hash)
                    {
                        slot = (slot + 1) & mask;
                    }

                    // A used slot holds 1 + the count: 0 marks a slot never used, where a probe stops.
                    keys[slot] = hash;
                    counts[slot] = counts[slot] == 0 ? 2 : counts[slot] + 1;
                }

                var totalB = 0;
                var common = 0;
                var rest = b.AsSpan();
                while (TextNormalizer.NextToken(ref rest, out var token))
                {
                    totalB++;
                    var hash = Hash(token);
                    var slot = (int)(hash ^ (hash >> 32)) & mask;
                    while (counts[slot] != 0)
                    {
                        if (keys[slot] == hash)
                        {
                            if (counts[slot] > 1)
                            {
                                counts[slot]--;
                                common++;
                            }

                            break;
                        }

                        slot = (slot + 1) & mask;
                    }
                }

                var total = hashes.Length + totalB;
                return total == 0 ? 1 : 2.0 * common / total;
            }
            finally
            {
                System.Buffers.ArrayPool<ulong>.Shared.Return(keys);
                System.Buffers.ArrayPool<int>.Shared.Return(counts);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<ulong>.Shared.Return(rented);
        }
    }

    /// <summary>The hash of each token of <paramref name="text"/>, in <paramref name="buffer"/> (a token takes at least two characters with its separator).</summary>
    private static Span<ulong> Hashes(string text, ulong[] buffer)
    {
        var count = 0;
        var rest = text.AsSpan();
        while (TextNormalizer.NextToken(ref rest, out var token))
        {
            buffer[count++] = Hash(token);
        }

        return buffer.AsSpan(0, count);
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
