using System.Text.Json;
using System.Text.RegularExpressions;
using DualStack.Core.Comparison;
using DualStack.Core.Config;
using DualStack.Core.Model;
using DualStack.Core.Stacks;

namespace DualStack.Core.Scenarios;

/// <summary>Loads scenario files (with includes), validates them collecting all errors, and resolves defaults.</summary>
public static partial class ScenarioLoader
{
    /// <summary>What a scenario built from <see cref="FromCommandLine"/> is called in reports and messages.</summary>
    public const string CommandLineSource = "command line";

    /// <summary>
    /// Loads and validates <paramref name="path"/>; throws <see cref="ConfigException"/> with every error. Stack settings
    /// in <paramref name="overrides"/> (a command line's) replace the file's before it is validated, so the result is
    /// checked exactly as if the file had said them.
    /// </summary>
    public static Scenario Load(string path, StackOverrides? overrides = null)
    {
        var errors = new List<string>();
        var display = ConfigFile.Display(path);
        var root = ReadFile(path, display, errors);
        if (root is null)
        {
            throw new ConfigException(errors);
        }

        return Build(overrides is null ? root : overrides.ApplyTo(root), path, display, errors);
    }

    /// <summary>
    /// A scenario without a file: the stacks from <paramref name="overrides"/>, every other setting at its default and no
    /// scripted conversation (so no <c>expect</c>: nothing shop-specific is asked of a foreign agent). Validated by the
    /// same rules as a file; relative folders resolve against the working directory.
    /// </summary>
    public static Scenario FromCommandLine(StackOverrides overrides)
    {
        var file = overrides.ApplyTo(new ScenarioFile { Name = "command-line" });
        return Build(file, Path.Combine(Environment.CurrentDirectory, "command-line.json"), CommandLineSource, []);
    }

    private static Scenario Build(ScenarioFile root, string path, string display, List<string> errors)
    {
        ValidateSettings(root, path, display, errors);
        var conversations = new List<Conversation>();
        CollectConversations(root, path, display, conversations, errors, new HashSet<string>(StringComparer.Ordinal) { Path.GetFullPath(path) });

        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var conversation in conversations)
        {
            if (seen.TryGetValue(conversation.Id, out var firstFile))
            {
                errors.Add($"scenario '{conversation.Id}' ({conversation.SourceFile}): duplicate conversation id (first defined in {firstFile})");
            }
            else
            {
                seen[conversation.Id] = conversation.SourceFile ?? display;
            }
        }

        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        return new Scenario
        {
            Name = root.Name ?? Path.GetFileNameWithoutExtension(path),
            SourceFile = display,
            Old = ResolvePaths(root.Stacks?.Old ?? new(), path),
            New = ResolvePaths(root.Stacks?.New ?? new(), path),
            Replay = root.Replay ?? new(),
            Synthetic = root.Synthetic ?? new(),
            Comparison = root.Comparison ?? new(),
            Conversations = conversations,
        };
    }

    /// <summary>Reads a file of conversations only (scenario or JSONL of <see cref="Conversation"/>), for <c>--source</c>.</summary>
    public static IReadOnlyList<Conversation> LoadConversations(string path)
    {
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            var result = new List<Conversation>();
            var errors = new List<string>();
            var lineNumber = 0;
            foreach (var line in File.ReadLines(path))
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                var before = errors.Count;
                var conversation = ConfigFile.Parse<Conversation>(line, ConfigFile.Display(path), errors, lineNumber);
                if (conversation is null || errors.Count > before)
                {
                    continue;
                }

                if (conversation.Turns.Count == 0 || conversation.Turns.Any(t => string.IsNullOrWhiteSpace(t.Message)))
                {
                    errors.Add($"{ConfigFile.Display(path)}: line {lineNumber}: conversation has no turns or an empty 'message'");
                }
                else
                {
                    result.Add(conversation with { SourceFile = ConfigFile.Display(path) });
                }
            }

            return errors.Count > 0 ? throw new ConfigException(errors) : result;
        }

        return Load(path).Conversations;
    }

    private static ScenarioFile? ReadFile(string path, string display, List<string> errors) => ConfigFile.Read<ScenarioFile>(path, display, errors);

    private static void CollectConversations(ScenarioFile file, string path, string display, List<Conversation> output, List<string> errors, HashSet<string> visited)
    {
        var conversations = file.Conversations ?? [];
        for (var i = 0; i < conversations.Count; i++)
        {
            var config = conversations[i];
            var label = string.IsNullOrWhiteSpace(config.Id) ? $"#{i + 1}" : config.Id;
            var prefix = $"scenario '{label}' ({display})";
            if (string.IsNullOrWhiteSpace(config.Id))
            {
                errors.Add($"{prefix}: 'id' is missing");
            }

            var turns = config.Turns ?? [];
            if (turns.Count == 0)
            {
                errors.Add($"{prefix}: 'turns' is empty");
            }

            for (var t = 0; t < turns.Count; t++)
            {
                if (string.IsNullOrWhiteSpace(turns[t].Message))
                {
                    errors.Add($"{prefix}: turn {t + 1}: 'message' is empty");
                }
            }

            if (errors.Count == 0 || !string.IsNullOrWhiteSpace(config.Id))
            {
                output.Add(new Conversation
                {
                    Id = config.Id ?? label,
                    UserId = string.IsNullOrWhiteSpace(config.UserId) ? "u-" + config.Id : config.UserId,
                    Channel = config.Channel ?? "web",
                    Source = ConversationSource.Scripted,
                    Tags = config.Tags ?? [],
                    Turns = turns.Select(t => new Turn { Message = t.Message ?? string.Empty, Metadata = t.Metadata ?? new Dictionary<string, string>(), Expect = t.Expect }).ToArray(),
                    SourceFile = display,
                });
            }
        }

        foreach (var include in file.Include ?? [])
        {
            var includePath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", include);
            var includeDisplay = ConfigFile.Display(includePath);
            if (!visited.Add(Path.GetFullPath(includePath)))
            {
                errors.Add($"{display}: include '{include}' is included twice or in a cycle");
                continue;
            }

            if (!File.Exists(includePath))
            {
                errors.Add($"{display}: include '{include}' does not exist ({includeDisplay})");
                continue;
            }

            var included = ReadFile(includePath, includeDisplay, errors);
            if (included is not null)
            {
                if (included.Stacks is not null || included.Replay is not null || included.Comparison is not null || included.Synthetic is not null)
                {
                    errors.Add($"{includeDisplay}: an included file may only hold 'conversations' and 'include' (settings belong in {display})");
                }

                CollectConversations(included, includePath, includeDisplay, output, errors, visited);
            }
        }
    }

    private static void ValidateSettings(ScenarioFile file, string path, string display, List<string> errors)
    {
        foreach (var (name, stack) in new[] { ("old", file.Stacks?.Old), ("new", file.Stacks?.New) })
        {
            if (stack is null)
            {
                continue;
            }

            if (!string.IsNullOrWhiteSpace(stack.Url) && (!Uri.TryCreate(stack.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
            {
                errors.Add($"{display}: stacks.{name}.url: '{stack.Url}' is not an absolute http(s) URL");
            }

            if (stack.Url is { } url && Uri.TryCreate(url, UriKind.Absolute, out var withUser) && !string.IsNullOrEmpty(withUser.UserInfo))
            {
                errors.Add($"{display}: stacks.{name}.url: credentials in the URL are not allowed; use tokenEnv");
            }

            ValidateOpenClaw(stack, name, path, display, errors);
            ValidatePathRoots(stack, name, path, display, errors);
        }

        if (file.Stacks is { Old: { Adapter: AdapterKind.OpenClaw, Workspace: { Length: > 0 } oldWorkspace }, New: { Adapter: AdapterKind.OpenClaw, Workspace: { Length: > 0 } newWorkspace } }
            && string.Equals(ResolvePath(oldWorkspace, path), ResolvePath(newWorkspace, path), StringComparison.Ordinal))
        {
            errors.Add($"{display}: stacks.new.workspace: '{newWorkspace}' is the old stack's workspace too; each stack needs its own, or memory writes cannot be told apart");
        }

        if (file.Replay is { } replay)
        {
            if (replay.Concurrency < 1)
            {
                errors.Add($"{display}: replay.concurrency: {replay.Concurrency} must be at least 1");
            }

            if (replay.TurnsPerSecond < 0)
            {
                errors.Add($"{display}: replay.turnsPerSecond: {replay.TurnsPerSecond} must not be negative");
            }

            if (replay.TurnTimeoutSeconds <= 0)
            {
                errors.Add($"{display}: replay.turnTimeoutSeconds: {replay.TurnTimeoutSeconds} must be positive");
            }
        }

        if (file.Synthetic is { } synthetic)
        {
            if (synthetic.Count < 0)
            {
                errors.Add($"{display}: synthetic.count: {synthetic.Count} must not be negative");
            }

            if (synthetic.MinTurns < 1 || synthetic.MaxTurns < synthetic.MinTurns)
            {
                errors.Add($"{display}: synthetic.minTurns/maxTurns: {synthetic.MinTurns}..{synthetic.MaxTurns} is not a valid range (1 ≤ min ≤ max)");
            }

            if (synthetic.MemoryProbability is < 0 or > 1)
            {
                errors.Add($"{display}: synthetic.memoryProbability: {synthetic.MemoryProbability} must be between 0 and 1");
            }

            foreach (var (intent, weight) in synthetic.Intents ?? new Dictionary<string, double>())
            {
                if (!SyntheticConfig.KnownIntents.Contains(intent))
                {
                    errors.Add($"{display}: synthetic.intents: unknown intent '{intent}' (known: {string.Join(", ", SyntheticConfig.KnownIntents.Order())})");
                }
                else if (weight < 0)
                {
                    errors.Add($"{display}: synthetic.intents.{intent}: weight {weight} must not be negative");
                }
            }
        }

        if (file.Comparison is { } comparison)
        {
            CheckUnit(comparison.Reply.SemanticThreshold, "comparison.reply.semanticThreshold");
            CheckUnit(comparison.Reply.LexicalThreshold, "comparison.reply.lexicalThreshold");
            CheckUnit(comparison.Memory.MinRecall, "comparison.memory.minRecall");
            if (!FactOptions.TryReadDateLocale(comparison.Reply.DateLocale, out _))
            {
                errors.Add($"{display}: comparison.reply.dateLocale: '{comparison.Reply.DateLocale}' is not a language tag such as en-US, en-GB or de-DE, nor MDY or DMY");
            }

            if (comparison.Latency.MaxRatio < 1)
            {
                errors.Add($"{display}: comparison.latency.maxRatio: {comparison.Latency.MaxRatio} must be at least 1");
            }

            for (var i = 0; i < comparison.Reply.Normalize.Count; i++)
            {
                var rule = comparison.Reply.Normalize[i];
                if (string.IsNullOrEmpty(rule.Pattern))
                {
                    errors.Add($"{display}: comparison.reply.normalize[{i}]: 'pattern' is empty");
                    continue;
                }

                try
                {
                    _ = new Regex(rule.Pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
                }
                catch (ArgumentException ex)
                {
                    errors.Add($"{display}: comparison.reply.normalize[{i}]: pattern '{rule.Pattern}' is not a valid regex: {ex.Message}");
                }
            }

            foreach (var ignored in comparison.Skills.IgnoreArguments)
            {
                var jsonPath = ignored.Contains(':', StringComparison.Ordinal) ? ignored[(ignored.IndexOf(':', StringComparison.Ordinal) + 1)..] : ignored;
                if (!jsonPath.StartsWith('$'))
                {
                    errors.Add($"{display}: comparison.skills.ignoreArguments: '{ignored}' must be a JSON path starting with '$' (optionally prefixed 'skill:')");
                }
            }
        }

        void CheckUnit(double value, string field)
        {
            if (value is < 0 or > 1)
            {
                errors.Add($"{display}: {field}: {value} must be between 0 and 1");
            }
        }
    }

    private static void ValidateOpenClaw(StackConfig stack, string name, string path, string display, List<string> errors)
    {
        var prefix = $"{display}: stacks.{name}";
        if (stack.Adapter != AdapterKind.OpenClaw)
        {
            foreach (var (field, value) in new[] { ("agentId", stack.AgentId), ("stateDir", stack.StateDir), ("workspace", stack.Workspace) })
            {
                if (value is not null)
                {
                    errors.Add($"{prefix}.{field}: '{value}' is only used by adapter 'openclaw' (this stack's adapter is '{stack.Adapter.ToString().ToLowerInvariant()}')");
                }
            }

            return;
        }

        if (stack.AgentId is { } agentId && !AgentIdPattern().IsMatch(agentId))
        {
            errors.Add($"{prefix}.agentId: '{agentId}' is not an agent id (letters, digits, '-', '_', up to 64)");
        }

        foreach (var (field, value) in new[] { ("stateDir", stack.StateDir), ("workspace", stack.Workspace) })
        {
            if (value is null)
            {
                continue;
            }

            if (string.IsNullOrWhiteSpace(value))
            {
                errors.Add($"{prefix}.{field}: is empty (leave it out to mark the dimension not observed)");
            }
            else if (!Directory.Exists(ResolvePath(value, path)))
            {
                errors.Add($"{prefix}.{field}: folder '{value}' does not exist ({ResolvePath(value, path)})");
            }
        }

        if (string.IsNullOrWhiteSpace(stack.SessionHeader))
        {
            errors.Add($"{prefix}.sessionHeader: is empty; OpenClaw keeps a conversation by session key (x-openclaw-session-key)");
        }

        if (stack.SendHistory)
        {
            errors.Add($"{prefix}.sendHistory: true is not supported by adapter 'openclaw' (the gateway keeps the session; history would be said twice)");
        }

        if (stack.TrajectoryWaitSeconds is <= 0 or > 600)
        {
            errors.Add($"{prefix}.trajectoryWaitSeconds: {stack.TrajectoryWaitSeconds} must be above 0 and at most 600");
        }
    }

    private static void ValidatePathRoots(StackConfig stack, string name, string path, string display, List<string> errors)
    {
        if (stack.PathRoots is null)
        {
            errors.Add($"{display}: stacks.{name}.pathRoots: is null; leave it out or give a list of folders");
            return;
        }

        for (var i = 0; i < stack.PathRoots.Count; i++)
        {
            var value = stack.PathRoots[i];
            var field = $"{display}: stacks.{name}.pathRoots[{i}]";
            if (string.IsNullOrWhiteSpace(value))
            {
                errors.Add($"{field}: '{value}' is empty; give an absolute folder or one relative to the scenario file");
                continue;
            }

            if (value.IndexOfAny(Path.GetInvalidPathChars()) >= 0 || value.Any(char.IsControl))
            {
                errors.Add($"{field}: '{Printable(value)}' contains characters that are not valid in a path");
                continue;
            }

            string resolved;
            try
            {
                resolved = ResolvePath(value, path);
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
            {
                errors.Add($"{field}: '{value}' is not a valid path: {ex.Message}");
                continue;
            }

            // ResolvePath trims the trailing separator, so "/" resolves to "" (and "C:\" to "C:").
            if (resolved.Length == 0 || string.Equals(resolved, Path.GetPathRoot(resolved)?.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
            {
                errors.Add($"{field}: '{value}' is the file system's root; every path would be under it");
            }
            else if (!Path.IsPathFullyQualified(resolved))
            {
                errors.Add($"{field}: '{value}' is not an absolute folder after resolving it against the scenario file ({resolved})");
            }
        }

        static string Printable(string value) => string.Concat(value.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }

    private static StackConfig ResolvePaths(StackConfig stack, string scenarioPath) => stack with
    {
        PathRoots = (stack.PathRoots ?? []).Select(root => ResolvePath(root, scenarioPath)).Distinct(StringComparer.Ordinal).ToArray(),
        StateDir = stack.StateDir is { Length: > 0 } state ? ResolvePath(state, scenarioPath) : stack.StateDir,
        Workspace = stack.Workspace is { Length: > 0 } workspace ? ResolvePath(workspace, scenarioPath) : stack.Workspace,
    };

    private static string ResolvePath(string folder, string scenarioPath) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(scenarioPath)) ?? ".", folder)).TrimEnd(Path.DirectorySeparatorChar);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex AgentIdPattern();
}
