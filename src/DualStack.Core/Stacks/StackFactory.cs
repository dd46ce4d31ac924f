using System.Net;
using DualStack.Core.Model;

namespace DualStack.Core.Stacks;

/// <summary>Creates adapters from configuration, resolving secrets from the environment.</summary>
public static class StackFactory
{
    /// <summary>
    /// Creates the adapter for <paramref name="config"/>; throws <see cref="ArgumentException"/> naming a bad URL or a
    /// missing variable. <paramref name="turnTimeout"/> bounds each turn (default 30 s native, 60 s OpenAI and OpenClaw).
    /// </summary>
    public static IAgentStack Create(string name, StackConfig config, TimeProvider? timeProvider = null, Func<string, string?>? environment = null, TimeSpan? turnTimeout = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        timeProvider ??= TimeProvider.System;
        if (!Uri.TryCreate(config.Url, UriKind.Absolute, out var baseUri) || (baseUri.Scheme != Uri.UriSchemeHttp && baseUri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"stack '{name}': url '{config.Url}' is not an absolute http(s) URL");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (header, variable) in config.HeadersFromEnv)
        {
            headers[header] = environment(variable) ?? throw new ArgumentException($"stack '{name}': header '{header}' needs environment variable '{variable}', which is not set");
        }

        if (config.TokenEnv is { Length: > 0 } tokenEnv)
        {
            var token = environment(tokenEnv) ?? throw new ArgumentException($"stack '{name}': tokenEnv '{tokenEnv}' is not set in the environment");
            headers["Authorization"] = "Bearer " + token;
        }

        var stackEnvironment = EnvironmentOf(config, baseUri);
        if (config.Adapter == AdapterKind.OpenClaw)
        {
            var agentId = string.IsNullOrWhiteSpace(config.AgentId) ? "main" : config.AgentId;
            headers["x-openclaw-agent-id"] = agentId;
            // The gateway keeps the session by key, so history is never resent; its internal tool calls are not in the
            // response, so skills come from the trajectory store (OpenClawAgentStack), not from tool_calls.
            var chatConfig = config with
            {
                Model = config.Model is { Length: > 0 } model && model != "default" ? model : "openclaw/" + agentId,
                SendHistory = false,
                ToolCallsAreSkills = false,
            };
            var chat = new OpenAiAgentStack(name, CreateHttpClient(baseUri, headers), chatConfig, timeProvider, turnTimeout, stackEnvironment);
            return new OpenClaw.OpenClawAgentStack(name, chat, config, timeProvider, stackEnvironment);
        }

        var client = CreateHttpClient(baseUri, headers);
        return config.Adapter switch
        {
            AdapterKind.OpenAi => new OpenAiAgentStack(name, client, config, timeProvider, turnTimeout, stackEnvironment),
            _ => new NativeAgentStack(name, client, timeProvider, turnTimeout, stackEnvironment),
        };
    }

    /// <summary>
    /// The environment every observation of this stack carries: its <see cref="StackConfig.PathRoots"/> (plus, for
    /// <see cref="AdapterKind.OpenClaw"/>, its <see cref="StackConfig.Workspace"/> and <see cref="StackConfig.StateDir"/>)
    /// as full paths without trailing separators, and its base address.
    /// </summary>
    public static StackEnvironment EnvironmentOf(StackConfig config, Uri baseAddress)
    {
        var roots = new List<string>();
        var candidates = config.Adapter == AdapterKind.OpenClaw ? config.PathRoots.Append(config.Workspace).Append(config.StateDir) : config.PathRoots;
        foreach (var candidate in candidates)
        {
            if (string.IsNullOrWhiteSpace(candidate))
            {
                continue;
            }

            var full = Path.GetFullPath(candidate);
            var trimmed = full.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
            var root = trimmed.Length == 0 ? full : trimmed;
            if (!roots.Contains(root, StringComparer.Ordinal))
            {
                roots.Add(root);
            }
        }

        return new StackEnvironment { PathRoots = roots, BaseAddress = baseAddress.AbsoluteUri };
    }

    internal static HttpClient CreateHttpClient(Uri baseUri, IReadOnlyDictionary<string, string> headers)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.All,
            MaxConnectionsPerServer = 256,
        };
        var client = new HttpClient(handler)
        {
            BaseAddress = baseUri.AbsoluteUri.EndsWith('/') ? baseUri : new Uri(baseUri.AbsoluteUri + "/"),
            // Per-turn timeouts are enforced by the caller's token so that they become observations.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        foreach (var (header, value) in headers)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation(header, value);
        }

        return client;
    }
}
