using System.Text;

namespace DualStack.Core.Routing;

/// <summary>
/// Maps a conversation key to one of 10,000 buckets with a stable hash (FNV-1a over UTF-8, then a murmur finaliser),
/// so every proxy instance, sampler and split router agrees without shared state.
/// </summary>
public static class ConversationHash
{
    /// <summary>Number of buckets: 10,000, i.e. a resolution of 0.01 %.</summary>
    public const int Buckets = 10_000;

    /// <summary>Bucket of <paramref name="key"/> in [0, 10,000).</summary>
    public static int Bucket(string key)
    {
        Span<byte> stack = stackalloc byte[256];
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        var bytes = max <= stack.Length ? stack : new byte[max];
        var length = Encoding.UTF8.GetBytes(key, bytes);
        return Bucket(bytes[..length]);
    }

    /// <summary>Bucket of a UTF-8 key in [0, 10,000).</summary>
    public static int Bucket(ReadOnlySpan<byte> utf8Key)
    {
        var hash = 2166136261u;
        foreach (var b in utf8Key)
        {
            hash = (hash ^ b) * 16777619u;
        }

        // FNV alone clusters on short, similar keys (c-1, c-2, …); the finaliser spreads them over all buckets.
        hash ^= hash >> 16;
        hash *= 0x85EBCA6Bu;
        hash ^= hash >> 13;
        hash *= 0xC2B2AE35u;
        hash ^= hash >> 16;
        return (int)(hash % Buckets);
    }

    /// <summary>True when <paramref name="key"/> falls in the first <paramref name="percent"/> % of buckets; raising the percentage only ever adds keys.</summary>
    public static bool IsSelected(string key, double percent) => Bucket(key) < Threshold(percent);

    /// <summary>The bucket threshold for a percentage (0–100, 0.01 resolution).</summary>
    public static int Threshold(double percent) => (int)Math.Round(Math.Clamp(percent, 0, 100) * (Buckets / 100.0));

    /// <summary>Parses "10%", "10" or "0.5%" into a percentage; throws <see cref="FormatException"/> naming the value.</summary>
    public static double ParsePercent(string text)
    {
        var trimmed = text.Trim().TrimEnd('%').Trim();
        if (!double.TryParse(trimmed, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) || value is < 0 or > 100 || double.IsNaN(value))
        {
            throw new FormatException($"'{text}' is not a percentage between 0 and 100");
        }

        return value;
    }
}
