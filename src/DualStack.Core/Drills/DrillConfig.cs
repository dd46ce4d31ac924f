using System.Text.Json.Serialization;

namespace DualStack.Core.Drills;

/// <summary>How the rollback is triggered.</summary>
public enum DrillTrigger
{
    /// <summary>An operator's rollback through the admin API.</summary>
    Command,

    /// <summary>A fault injected into the new stack; the gates must roll back by themselves.</summary>
    Fault,
}

/// <summary>A rollback drill (scenarios/drill.json).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record DrillConfig
{
    /// <summary>JSON schema reference for editors (<c>./drill.schema.json</c>); ignored.</summary>
    [JsonPropertyName("$schema")]
    public string? Schema { get; init; }

    /// <summary>Drill name for reports; default: the file name.</summary>
    public string? Name { get; init; }

    /// <summary>Split proxy URL; empty = the embedded sample stacks behind an embedded split proxy.</summary>
    public string? ProxyUrl { get; init; }

    /// <summary>Old stack URL (memory API); empty with the embedded default.</summary>
    public string? OldStackUrl { get; init; }

    /// <summary>New stack URL (memory API, fault injection); empty with the embedded default.</summary>
    public string? NewStackUrl { get; init; }

    /// <summary>Percentage routed to the new stack before the trigger; default 50.</summary>
    public double RampTo { get; init; } = 50;

    /// <summary>Rollback trigger; default command.</summary>
    public DrillTrigger Trigger { get; init; } = DrillTrigger.Command;

    /// <summary>Fault knob injected into the new stack for <see cref="DrillTrigger.Fault"/> (posted to <see cref="FaultUrl"/>); default <c>latency:400</c>.</summary>
    public string Fault { get; init; } = "latency:400";

    /// <summary>
    /// Where the new stack takes faults for <see cref="DrillTrigger.Fault"/>: the drill posts <c>{"faults": ["&lt;fault&gt;"]}</c>
    /// there to inject <see cref="Fault"/> and <c>{"faults": []}</c> to clear it (the sample agent's endpoint is
    /// <c>&lt;newStackUrl&gt;/v1/admin/faults</c>). Required with trigger <c>fault</c> and URLs; empty with the embedded
    /// sample stacks, whose endpoint is used.
    /// </summary>
    public string? FaultUrl { get; init; }

    /// <summary>Conversations in flight; default 8.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>Turns per conversation; default 4.</summary>
    public int TurnsPerConversation { get; init; } = 4;

    /// <summary>Seed of the synthetic conversations; default 7.</summary>
    public int Seed { get; init; } = 7;

    /// <summary>Seconds of load before the trigger; default 3.</summary>
    public double LoadSecondsBeforeTrigger { get; init; } = 3;

    /// <summary>Seconds of load after the rollback; default 2.</summary>
    public double LoadSecondsAfterRollback { get; init; } = 2;

    /// <summary>How long an automatic rollback may take to fire after the fault before the drill fails; default 60 s.</summary>
    public double MaxDetectionSeconds { get; init; } = 60;

    /// <summary>Pass/fail limits.</summary>
    public DrillLimits Limits { get; init; } = new();

    /// <summary>Loads and validates a drill file; throws <see cref="InvalidDataException"/> with every problem, naming the file.</summary>
    public static DrillConfig Load(string path)
    {
        var errors = new List<string>();
        var display = Config.ConfigFile.Display(path);
        var config = Config.ConfigFile.Read<DrillConfig>(path, display, errors);
        if (config is null)
        {
            throw new InvalidDataException(string.Join(Environment.NewLine, errors));
        }

        if (config.RampTo is <= 0 or > 100)
        {
            errors.Add($"{display}: rampTo: {config.RampTo} must be in (0, 100]");
        }

        if (config.Concurrency < 1)
        {
            errors.Add($"{display}: concurrency: {config.Concurrency} must be at least 1");
        }

        if (config.TurnsPerConversation < 1)
        {
            errors.Add($"{display}: turnsPerConversation: {config.TurnsPerConversation} must be at least 1");
        }

        if (config.LoadSecondsBeforeTrigger < 0 || config.LoadSecondsAfterRollback < 0)
        {
            errors.Add($"{display}: loadSecondsBeforeTrigger/loadSecondsAfterRollback must not be negative");
        }

        foreach (var (field, url) in new[] { ("proxyUrl", config.ProxyUrl), ("oldStackUrl", config.OldStackUrl), ("newStackUrl", config.NewStackUrl), ("faultUrl", config.FaultUrl) })
        {
            if (!string.IsNullOrEmpty(url) && !Uri.TryCreate(url, UriKind.Absolute, out _))
            {
                errors.Add($"{display}: {field}: '{url}' is not an absolute URL");
            }
        }

        var embedded = new[] { config.ProxyUrl, config.OldStackUrl, config.NewStackUrl }.Count(string.IsNullOrEmpty);
        if (embedded is not (0 or 3))
        {
            errors.Add($"{display}: give proxyUrl, oldStackUrl and newStackUrl together, or none for the embedded sample stacks");
        }

        if (config.Trigger == DrillTrigger.Fault && embedded == 0 && string.IsNullOrEmpty(config.FaultUrl))
        {
            errors.Add($"{display}: faultUrl: required with trigger 'fault' against a running proxy (the URL that takes POST {{\"faults\": [...]}} for the new stack)");
        }

        return errors.Count > 0 ? throw new InvalidDataException(string.Join(Environment.NewLine, errors)) : config with { Name = config.Name ?? Path.GetFileNameWithoutExtension(path) };
    }
}

/// <summary>What a drill must show to pass.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record DrillLimits
{
    /// <summary>Seconds from the rollback to the last request the new stack served; default 1 (runbooks commonly allow 60).</summary>
    public double MaxRollbackSeconds { get; init; } = 1;

    /// <summary>Client-visible failed requests allowed; default 0.</summary>
    public int MaxFailedRequests { get; init; }

    /// <summary>Memory entries written on the new stack and missing on the old one after the merge; default 0.</summary>
    public int MaxLostMemoryEntries { get; init; }
}
