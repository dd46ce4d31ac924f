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
internal sealed class LexicalSimilarity : ITextSimilarity
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
        var rentedB = System.Buffers.ArrayPool<ulong>.Shared.Rent(b.Length / 2 + 1);
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
                var hashesB = Hashes(b, rentedB);
                foreach (var hash in hashesB)
                {
                    totalB++;
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
            System.Buffers.ArrayPool<ulong>.Shared.Return(rentedB);
        }
    }

    /// <summary>
    /// The hash of each token of <paramref name="text"/>, in <paramref name="buffer"/> (a token takes at least two
    /// characters with its separator). Tokens are those of <see cref="TextNormalizer.NextToken"/>: runs of letters,
    /// digits and <c>&lt;&gt;.-'</c>, with <c>.-'</c> trimmed from both ends; read here in one pass, ASCII by table.
    /// </summary>
    private static Span<ulong> Hashes(string text, ulong[] buffer)
    {
        var count = 0;
        var span = text.AsSpan();
        var i = 0;
        while (i < span.Length)
        {
            while (i < span.Length && !IsWordChar(span[i]))
            {
                i++;
            }

            var start = i;
            while (i < span.Length && IsWordChar(span[i]))
            {
                i++;
            }

            var end = i;
            while (start < end && span[start] is '.' or '-' or '\'')
            {
                start++;
            }

            while (end > start && span[end - 1] is '.' or '-' or '\'')
            {
                end--;
            }

            if (end > start)
            {
                buffer[count++] = Hash(span[start..end]);
            }
        }

        return buffer.AsSpan(0, count);
    }

    /// <summary>Letters, digits and <c>&lt;&gt;.-'</c> (ASCII from a table).</summary>
    private static bool IsWordChar(char c) => c < 128 ? AsciiWord[c] != 0 : char.IsLetterOrDigit(c);

    private static ReadOnlySpan<byte> AsciiWord =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 1, 0,
        0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
        0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    ];

    /// <summary>
    /// A 64-bit hash of a word, four characters per step: each step (xor, multiply by an odd constant, xor-shift) is a
    /// bijection of the state, and the length seeds it, so words that differ anywhere differ in state. The last step's
    /// xor-shift already brings the well-mixed high bits down to the low bits the table's slot is taken from, so no
    /// final mix is needed.
    /// </summary>
    private static ulong Hash(ReadOnlySpan<char> word)
    {
        var hash = 0x9E3779B97F4A7C15UL ^ (ulong)word.Length;
        var blocks = System.Runtime.InteropServices.MemoryMarshal.Cast<char, ulong>(word);
        foreach (var block in blocks)
        {
            hash = (hash ^ block) * 0xBF58476D1CE4E5B9UL;
            hash ^= hash >> 31;
        }

        var tail = 0UL;
        var rest = word[(blocks.Length * 4)..];
        for (var k = 0; k < rest.Length; k++)
        {
            tail |= (ulong)rest[k] << (16 * k);
        }

        if (!rest.IsEmpty)
        {
            hash = (hash ^ tail) * 0xBF58476D1CE4E5B9UL;
            hash ^= hash >> 31;
        }

        return hash;
    }
}
