namespace DualStack.SampleAgent;

/// <summary>Configuration of one sample agent stack; validate with <see cref="SampleAgentOptionsParser.Validate"/>.</summary>
public sealed record SampleAgentOptions
{
    /// <summary>Reply wording profile: <c>v1</c> (default) or <c>v2</c>; both mean the same and call the same skills.</summary>
    public string Profile { get; init; } = "v1";

    /// <summary>Picks randomly among phrasing variants and appends a reference id and timestamp; default off.</summary>
    public bool Nondeterministic { get; init; }

    /// <summary>Seed for the random choices (variants, reference ids, injected errors); default null = unseeded.</summary>
    public int? Seed { get; init; }

    /// <summary>Active fault knobs such as <c>drop-skill</c> or <c>latency:200</c>; default none.</summary>
    public IReadOnlyList<string> Faults { get; init; } = [];

    /// <summary>Base URL of the external integrations (orders, refunds, CRM, e-mail, catalog); default null = built-in fixture.</summary>
    public Uri? IntegrationsBaseUrl { get; init; }
}
