using DualStack.Core.Stacks;

namespace DualStack.Core.Memory;

/// <summary>
/// The memory API (contract v1: <c>GET /v1/memory</c>, <c>PUT /v1/memory/{id}</c>) of one stack, with the name used in
/// messages. Secrets are resolved from the environment and never appear in <see cref="Name"/> or in any error.
/// </summary>
public sealed class MemoryClient : IDisposable
{
    private readonly IDisposable? _owned;

    /// <summary>Wraps an existing Refit client (for example one a test or host already built); it is not disposed.</summary>
    /// <param name="name">How messages name the stack, usually its URL.</param>
    /// <param name="api">The contract v1 client.</param>
    public MemoryClient(string name, INativeAgentApi api)
        : this(name, api, owned: null)
    {
    }

    private MemoryClient(string name, INativeAgentApi api, IDisposable? owned)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(api);
        Name = name;
        Api = api;
        _owned = owned;
    }

    /// <summary>How messages and checkpoints name the stack: its base URL for clients made by <see cref="Create"/>.</summary>
    public string Name { get; }

    /// <summary>The contract v1 Refit client.</summary>
    public INativeAgentApi Api { get; }

    /// <summary>
    /// A client for the stack at <paramref name="url"/>, with the same HTTP settings and secret handling as the native
    /// adapter (<see cref="StackFactory"/>): <paramref name="tokenEnv"/> names the environment variable holding a bearer
    /// token (<see cref="StackConfig.TokenEnv"/>); none by default.
    /// </summary>
    /// <exception cref="ArgumentException">The URL is not absolute http(s), or <paramref name="tokenEnv"/> is not set.</exception>
    public static MemoryClient Create(string url, string? tokenEnv = null, Func<string, string?>? environment = null)
    {
        var stack = (NativeAgentStack)StackFactory.Create(url, new StackConfig { Url = url, Adapter = AdapterKind.Native, TokenEnv = tokenEnv }, environment: environment);
        return new MemoryClient(stack.BaseAddress.AbsoluteUri, stack.Api, stack);
    }

    /// <summary>Releases the HTTP client when this instance created it.</summary>
    public void Dispose() => _owned?.Dispose();

    /// <inheritdoc/>
    public override string ToString() => Name;
}
