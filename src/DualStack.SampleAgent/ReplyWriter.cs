using System.Globalization;
using System.Text;

namespace DualStack.SampleAgent;

/// <summary>Random choices (variants, reference ids, injected errors); seeded when asked, thread-safe.</summary>
internal sealed class AgentRandom(int? seed)
{
    private readonly Lock _gate = new();
    private readonly Random _random = seed is { } s ? new Random(s) : new Random();

    public int Next(int maxExclusive)
    {
        lock (_gate)
        {
            return _random.Next(maxExclusive);
        }
    }

    public double NextPercent()
    {
        lock (_gate)
        {
            return _random.NextDouble() * 100;
        }
    }
}

/// <summary>Turns a reply key and its facts into text for the configured profile.</summary>
internal sealed class ReplyWriter(SampleAgentOptions options, AgentRandom random, TimeProvider time)
{
    private readonly IReadOnlyDictionary<string, string[]> _phrases =
        Phrasebook.For(SampleAgentOptionsParser.NormalizeProfile(options.Profile) ?? "v1");

    public string Write(string key, params ReadOnlySpan<(string Name, string Value)> facts)
    {
        var variants = _phrases[key];
        var template = options.Nondeterministic ? variants[random.Next(variants.Length)] : variants[0];
        var text = new StringBuilder(template);
        foreach (var (name, value) in facts)
        {
            text.Replace("{" + name + "}", value);
        }

        if (options.Nondeterministic)
        {
            // Like an LLM reply with a trace footer: same meaning, different text every time.
            var reference = random.Next(0x1000000).ToString("X6", CultureInfo.InvariantCulture);
            var stamp = time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $" (ref REF-{reference}, {stamp})");
        }

        return text.ToString();
    }
}
