using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DualStack.Core.Config;

namespace DualStack.Core.Gates;

/// <summary>
/// The automatic ramp (scenarios/ramp.json): percentages to step through, how long each must hold with every gate
/// passing, and the gates themselves.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RampPlan
{
    /// <summary>JSON schema reference for editors (<c>./ramp.schema.json</c>); ignored.</summary>
    [JsonPropertyName("$schema")]
    public string? Schema { get; init; }

    /// <summary>Percentages for the new stack, strictly ascending, each in (0, 100]; default 5, 25, 50, 100.</summary>
    public IReadOnlyList<double> Steps { get; init; } = [5, 25, 50, 100];

    /// <summary>Seconds each step must be held, with every gate passing, before the next; default 300.</summary>
    public int HoldSeconds { get; init; } = 300;

    /// <summary>Seconds of traffic the gates judge (the sliding window); default 60.</summary>
    public int WindowSeconds { get; init; } = 60;

    /// <summary>Requests each stack needs in the window before a gate can pass or fail; default 100.</summary>
    public long MinRequests { get; init; } = 100;

    /// <summary>Gate tolerances; defaults as in <see cref="GateConfig"/>.</summary>
    public GateConfig Gates { get; init; } = new();

    /// <summary><see cref="HoldSeconds"/> as a time span.</summary>
    [JsonIgnore]
    public TimeSpan Hold => TimeSpan.FromSeconds(HoldSeconds);

    /// <summary><see cref="WindowSeconds"/> as a time span.</summary>
    [JsonIgnore]
    public TimeSpan Window => TimeSpan.FromSeconds(WindowSeconds);

    /// <summary><see cref="Gates"/> with <see cref="MinRequests"/> applied: what the gates are evaluated with.</summary>
    [JsonIgnore]
    public GateConfig EffectiveGates => (Gates ?? new GateConfig()) with { MinRequests = MinRequests };
}

/// <summary>Loads and validates ramp plans, collecting every error.</summary>
public static class RampPlanLoader
{
    /// <summary>Loads <paramref name="path"/>; throws <see cref="ConfigException"/> with every problem (malformed JSON with its line).</summary>
    public static RampPlan Load(string path)
    {
        var errors = new List<string>();
        var display = ConfigFile.Display(path);
        var plan = ConfigFile.Read<RampPlan>(path, display, errors);
        if (plan is not null)
        {
            if (HasGatesMinRequests(path))
            {
                // GateConfig.MinRequests is not read from JSON, so without this it would be silently ignored.
                errors.Add($"{display}: gates.minRequests: set minRequests at the top level, next to windowSeconds");
            }

            errors.AddRange(Validate(plan, display));
        }

        return errors.Count > 0 || plan is null ? throw new ConfigException(errors) : plan;
    }

    /// <summary>Every problem of <paramref name="plan"/>, each prefixed with <paramref name="source"/> (a file name or "ramp plan"); empty when valid.</summary>
    public static IReadOnlyList<string> Validate(RampPlan plan, string source)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var errors = new List<string>();
        void Add(FormattableString message) => errors.Add(source + ": " + message.ToString(CultureInfo.InvariantCulture));

        if (plan.Steps is null || plan.Steps.Count == 0)
        {
            Add($"steps: is empty; give at least one percentage, e.g. [5, 25, 50, 100]");
        }
        else
        {
            for (var i = 0; i < plan.Steps.Count; i++)
            {
                var step = plan.Steps[i];
                if (double.IsNaN(step) || step is < 0 or > 100)
                {
                    Add($"steps[{i}]: {step} is not a percentage between 0 and 100");
                }
                else if (step == 0)
                {
                    Add($"steps[{i}]: 0 must be above 0 (a step of 0 % sends nothing to the new stack)");
                }
                else if (i > 0 && step <= plan.Steps[i - 1])
                {
                    Add($"steps[{i}]: {step} is not above steps[{i - 1}] ({plan.Steps[i - 1]}); steps must be strictly ascending");
                }
            }
        }

        if (plan.HoldSeconds < 0)
        {
            Add($"holdSeconds: {plan.HoldSeconds} must not be negative");
        }

        if (plan.WindowSeconds is < 1 or > 86_400)
        {
            Add($"windowSeconds: {plan.WindowSeconds} must be between 1 and 86400");
        }

        if (plan.MinRequests < 1)
        {
            Add($"minRequests: {plan.MinRequests} must be at least 1");
        }

        if (plan.Gates is not { } gates)
        {
            Add($"gates: is null; omit it for the defaults");
            return errors;
        }

        if (!(gates.Confidence > 0.5 && gates.Confidence < 1))
        {
            Add($"gates.confidence: {gates.Confidence} must be between 0.5 and 1 (exclusive)");
        }

        if (!Enum.IsDefined(gates.Method))
        {
            Add($"gates.method: {(int)gates.Method} is not one of sequential, window");
        }

        if (gates.FailureThreshold is < 1 or > 3_600)
        {
            Add($"gates.failureThreshold: {gates.FailureThreshold} must be between 1 and 3600 (failing evaluations in a row, one per second)");
        }

        if (!(gates.AbsoluteErrorTolerance >= 0 && gates.AbsoluteErrorTolerance < 1))
        {
            Add($"gates.absoluteErrorTolerance: {gates.AbsoluteErrorTolerance} must be at least 0 and below 1 (a fraction, 0.01 = 1 point)");
        }

        if (!(gates.MaxP95Ratio >= 1) || double.IsInfinity(gates.MaxP95Ratio))
        {
            Add($"gates.maxP95Ratio: {gates.MaxP95Ratio} must be at least 1");
        }

        if (!(gates.P95SlackMs >= 0) || double.IsInfinity(gates.P95SlackMs))
        {
            Add($"gates.p95SlackMs: {gates.P95SlackMs} must not be negative");
        }

        return errors;
    }

    private static bool HasGatesMinRequests(string path)
    {
        var root = JsonNode.Parse(
            File.ReadAllText(path),
            new JsonNodeOptions { PropertyNameCaseInsensitive = true },
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return root?["gates"] is JsonObject gates && gates.ContainsKey("minRequests");
    }
}
