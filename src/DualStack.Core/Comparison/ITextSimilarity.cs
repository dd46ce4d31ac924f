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

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var totalA = 0;
        foreach (var token in TextNormalizer.Tokens(a))
        {
            counts[token] = counts.GetValueOrDefault(token) + 1;
            totalA++;
        }

        var totalB = 0;
        var common = 0;
        foreach (var token in TextNormalizer.Tokens(b))
        {
            totalB++;
            if (counts.TryGetValue(token, out var n) && n > 0)
            {
                counts[token] = n - 1;
                common++;
            }
        }

        return totalA + totalB == 0 ? 1 : 2.0 * common / (totalA + totalB);
    }
}
