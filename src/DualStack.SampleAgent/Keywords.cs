namespace DualStack.SampleAgent;

/// <summary>Lower-case word sets without stop-words, for memory retrieval and catalog search.</summary>
internal static class Keywords
{
    private static readonly HashSet<string> s_stopWords = new(StringComparer.Ordinal)
    {
        "a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did",
        "do", "does", "for", "from", "get", "got", "had", "has", "have", "hello", "hi", "how", "i", "if", "in", "is",
        "it", "its", "know", "me", "mine", "my", "no", "not", "note", "of", "on", "or", "please", "remember",
        "so", "tell", "that", "told", "anything", "everything", "the", "their", "them", "there", "these", "this", "to", "us", "was", "we", "were", "what",
        "whats", "when", "where", "which", "who", "why", "will", "with", "would", "you", "your", "yours",
    };

    public static IReadOnlySet<string> Of(string text)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var isWordChar = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (isWordChar && start < 0)
            {
                start = i;
            }
            else if (!isWordChar && start >= 0)
            {
                var word = text[start..i].ToLowerInvariant();
                if (word.Length > 1 && !s_stopWords.Contains(word))
                {
                    words.Add(word);
                }

                start = -1;
            }
        }

        return words;
    }

    /// <summary>Set cosine of two word sets: overlap / sqrt(|a|·|b|), in [0, 1], rounded to 4 decimals.</summary>
    public static double Score(IReadOnlySet<string> a, IReadOnlySet<string> b)
    {
        if (a.Count == 0 || b.Count == 0)
        {
            return 0;
        }

        var overlap = a.Count(b.Contains);
        return Math.Round(overlap / Math.Sqrt((double)a.Count * b.Count), 4);
    }

    /// <summary>Crude singular form so "chargers" finds "charger".</summary>
    public static string Stem(string word) =>
        word.Length > 3 && word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal) ? word[..^1] : word;
}
