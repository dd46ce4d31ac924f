using DualStack.Core.Stacks;

namespace DualStack.Core.Scenarios;

/// <summary>
/// Stack settings given on a command line (<c>--old</c>, <c>--new</c>, <c>--adapter</c>, <c>--model</c>,
/// <c>--token-env</c>). Each one given replaces the scenario file's value before validation; URLs apply per stack, the
/// rest to both stacks. Null = keep the file's value.
/// </summary>
public sealed record StackOverrides
{
    /// <summary>The old stack's base URL.</summary>
    public string? OldUrl { get; init; }

    /// <summary>The new stack's base URL.</summary>
    public string? NewUrl { get; init; }

    /// <summary>The contract both stacks speak.</summary>
    public AdapterKind? Adapter { get; init; }

    /// <summary>Model name both stacks are asked for (OpenAI-compatible adapters).</summary>
    public string? Model { get; init; }

    /// <summary>Environment variable holding the bearer token of both stacks.</summary>
    public string? TokenEnv { get; init; }

    /// <summary>True when any setting is given.</summary>
    public bool Any => OldUrl is not null || NewUrl is not null || Adapter is not null || Model is not null || TokenEnv is not null;

    /// <summary>The allowed <see cref="Adapter"/> names on a command line, in the order they are listed in messages.</summary>
    public static IReadOnlyList<string> AdapterNames { get; } = ["native", "openai", "openclaw"];

    /// <summary>Reads an adapter name (case-insensitive: native, openai, openclaw); false for anything else.</summary>
    public static bool TryParseAdapter(string? text, out AdapterKind adapter)
    {
        adapter = text?.Trim().ToLowerInvariant() switch
        {
            "native" => AdapterKind.Native,
            "openai" => AdapterKind.OpenAi,
            "openclaw" => AdapterKind.OpenClaw,
            _ => (AdapterKind)(-1),
        };
        return Enum.IsDefined(adapter);
    }

    /// <summary><paramref name="file"/> with these settings in place of its own.</summary>
    internal ScenarioFile ApplyTo(ScenarioFile file) => file with
    {
        Stacks = new StacksConfig
        {
            Old = Apply(file.Stacks?.Old, OldUrl),
            New = Apply(file.Stacks?.New, NewUrl),
        },
    };

    private StackConfig Apply(StackConfig? stack, string? url)
    {
        stack ??= new StackConfig();
        return stack with
        {
            Url = url ?? stack.Url,
            Adapter = Adapter ?? stack.Adapter,
            Model = Model ?? stack.Model,
            TokenEnv = TokenEnv ?? stack.TokenEnv,
        };
    }
}
