using System.Text.Json.Serialization;

namespace DualStack.Core.Reports;

#pragma warning disable CS1591 // field names and meanings are the Allure 2 result format (allurereport.org/docs/how-it-works-test-result-file)
/// <summary>One <c>&lt;uuid&gt;-result.json</c> in the Allure 2 results format (read by Allure 2 and 3).</summary>
public sealed record AllureResult
{
    public required string Uuid { get; init; }
    public required string HistoryId { get; init; }
    public required string TestCaseId { get; init; }
    public required string Name { get; init; }
    public required string FullName { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<AllureLabel> Labels { get; init; } = [];
    public IReadOnlyList<AllureParameter> Parameters { get; init; } = [];
    public required string Status { get; init; }
    public string Stage { get; init; } = "finished";
    public AllureStatusDetails? StatusDetails { get; init; }
    public IReadOnlyList<AllureStep> Steps { get; init; } = [];
    public IReadOnlyList<AllureAttachment> Attachments { get; init; } = [];
    public long Start { get; init; }
    public long Stop { get; init; }
}

public sealed record AllureStep
{
    public required string Name { get; init; }
    public required string Status { get; init; }
    public string Stage { get; init; } = "finished";
    public AllureStatusDetails? StatusDetails { get; init; }
    public IReadOnlyList<AllureStep> Steps { get; init; } = [];
    public IReadOnlyList<AllureAttachment> Attachments { get; init; } = [];
    public IReadOnlyList<AllureParameter> Parameters { get; init; } = [];
    public long Start { get; init; }
    public long Stop { get; init; }
}

public sealed record AllureLabel(string Name, string Value);

public sealed record AllureParameter(string Name, string Value);

public sealed record AllureAttachment(string Name, string Source, string Type);

public sealed record AllureStatusDetails
{
    public string? Message { get; init; }
    public string? Trace { get; init; }
    public bool Known { get; init; }
    public bool Muted { get; init; }
    public bool Flaky { get; init; }
}

public sealed record AllureCategory
{
    public required string Name { get; init; }
    public IReadOnlyList<string> MatchedStatuses { get; init; } = [];
    [JsonPropertyName("messageRegex")]
    public string? MessageRegex { get; init; }
}

public sealed record AllureExecutor
{
    public string Name { get; init; } = "DualStack";
    public string Type { get; init; } = "dualstack";
    public string? BuildName { get; init; }
    public string? ReportName { get; init; }
    public string? BuildUrl { get; init; }
}
#pragma warning restore CS1591

/// <summary>Allure status values.</summary>
public static class AllureStatus
{
    /// <summary>Test passed.</summary>
    public const string Passed = "passed";

    /// <summary>Assertion failed: a regression.</summary>
    public const string Failed = "failed";

    /// <summary>Could not run properly: a stack error.</summary>
    public const string Broken = "broken";

    /// <summary>Not run.</summary>
    public const string Skipped = "skipped";

    /// <summary>Outcome unknown: a dimension was not observed.</summary>
    public const string Unknown = "unknown";
}
