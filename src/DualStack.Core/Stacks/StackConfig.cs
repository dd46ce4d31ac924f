using System.Text.Json.Serialization;

namespace DualStack.Core.Stacks;

/// <summary>Which contract a stack speaks.</summary>
public enum AdapterKind
{
    /// <summary>DualStack agent contract v1 (full observability).</summary>
    Native,

    /// <summary>OpenAI-compatible <c>POST /v1/chat/completions</c>; memory is not observed.</summary>
    OpenAi,

    /// <summary>
    /// An OpenClaw gateway's chat completions endpoint: per-conversation session keys, agent selection, skill calls read
    /// from the agent's trajectory store and memory from the workspace's memory files (when their folders are given).
    /// </summary>
    OpenClaw,
}

/// <summary>How to reach one stack. Secrets never live here: only the names of environment variables that hold them.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record StackConfig
{
    /// <summary>Base URL; empty means "start the embedded sample stack" where the host supports it.</summary>
    public string? Url { get; init; }

    /// <summary>Contract; default <see cref="AdapterKind.Native"/>.</summary>
    public AdapterKind Adapter { get; init; } = AdapterKind.Native;

    /// <summary>Environment variable holding a bearer token; none by default.</summary>
    public string? TokenEnv { get; init; }

    /// <summary>Extra request headers: header name → environment variable holding its value.</summary>
    public IReadOnlyDictionary<string, string> HeadersFromEnv { get; init; } = new Dictionary<string, string>();

    /// <summary>OpenAI adapter: model name sent in requests; default <c>default</c>.</summary>
    public string Model { get; init; } = "default";

    /// <summary>OpenAI adapter: header carrying the session (conversation) key; default <c>x-openclaw-session-key</c>.</summary>
    public string SessionHeader { get; init; } = "x-openclaw-session-key";

    /// <summary>OpenAI adapter: request SSE streaming; default false.</summary>
    public bool Stream { get; init; }

    /// <summary>OpenAI adapter: send earlier turns as messages (for stateless servers); default false.</summary>
    public bool SendHistory { get; init; }

    /// <summary>OpenAI adapter: report <c>tool_calls</c> as the turn's skill calls; default true. False marks skills not observed.</summary>
    public bool ToolCallsAreSkills { get; init; } = true;

    /// <summary>OpenClaw adapter: the agent to talk to (sent as model <c>openclaw/&lt;agentId&gt;</c> and <c>x-openclaw-agent-id</c>); default <c>main</c>.</summary>
    public string? AgentId { get; init; }

    /// <summary>
    /// OpenClaw adapter: the gateway's state folder (<c>OPENCLAW_STATE_DIR</c>), read only, never written; skill calls are
    /// read from <c>agents/&lt;agentId&gt;/agent/openclaw-agent.sqlite</c> in it. None (default) = skills not observed.
    /// Relative paths are resolved against the scenario file's folder.
    /// </summary>
    public string? StateDir { get; init; }

    /// <summary>
    /// OpenClaw adapter: the agent's workspace folder; memory writes are observed by diffing <c>MEMORY.md</c> and
    /// <c>memory/*.md</c> around each turn (turns to this stack then run one at a time). None (default) = memory not observed.
    /// Relative paths are resolved against the scenario file's folder.
    /// </summary>
    public string? Workspace { get; init; }

    /// <summary>
    /// Folders owned by this stack (absolute, or relative to the scenario file's folder): a path under one of them in a
    /// skill argument or reply is compared relative to it (<c>&lt;root&gt;/skills/x/SKILL.md</c>), so two stacks reading
    /// the same file under their own folders match. The <c>openclaw</c> adapter adds its <see cref="Workspace"/> and
    /// <see cref="StateDir"/> by itself. Empty by default.
    /// </summary>
    public IReadOnlyList<string> PathRoots { get; init; } = [];

    /// <summary>OpenClaw adapter: seconds to wait for a turn's trajectory to be complete in the store; default 10.</summary>
    public double TrajectoryWaitSeconds { get; init; } = 10;
}
