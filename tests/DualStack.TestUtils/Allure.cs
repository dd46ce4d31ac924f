using System.Collections.Concurrent;
using DualStack.Core.Reports;
using NUnit.Framework;
using NUnit.Framework.Interfaces;

namespace DualStack.TestUtils;

/// <summary>
/// Writes an Allure result for every NUnit test it decorates (put it on an assembly, class or method). Test code adds
/// steps, labels and attachments through <see cref="Allure"/>. Results go to the run parameter <c>allureResults</c>,
/// else <c>ALLURE_RESULTS_DIR</c>, else <c>&lt;repo&gt;/reports/allure-results</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly | AttributeTargets.Class | AttributeTargets.Method)]
public sealed class AllureAttribute : Attribute, ITestAction
{
    /// <inheritdoc />
    public ActionTargets Targets => ActionTargets.Test;

    /// <inheritdoc />
    public void BeforeTest(ITest test) => Allure.Begin(test.Id);

    /// <inheritdoc />
    public void AfterTest(ITest test) => Allure.End(test);
}

/// <summary>The Allure side of the running test: steps, labels, parameters and attachments.</summary>
public static class Allure
{
    private static readonly ConcurrentDictionary<string, TestRecord> Running = new(StringComparer.Ordinal);
    private static readonly Lazy<AllureWriter> LazyWriter = new(() => new AllureWriter(ResultsDirectory()));

    /// <summary>The writer (created on first use).</summary>
    public static AllureWriter Writer => LazyWriter.Value;

    /// <summary>Runs <paramref name="action"/> as a step; a failing step is recorded failed and rethrows.</summary>
    public static void Step(string name, Action action)
    {
        var start = Now();
        try
        {
            action();
            Current()?.Steps.Add(new AllureStep { Name = name, Status = AllureStatus.Passed, Start = start, Stop = Now() });
        }
        catch (Exception ex)
        {
            Current()?.Steps.Add(new AllureStep { Name = name, Status = ex is AssertionException ? AllureStatus.Failed : AllureStatus.Broken, StatusDetails = new AllureStatusDetails { Message = ex.Message }, Start = start, Stop = Now() });
            throw;
        }
    }

    /// <summary>Runs <paramref name="action"/> as an asynchronous step.</summary>
    public static async Task StepAsync(string name, Func<Task> action)
    {
        var start = Now();
        try
        {
            await action().ConfigureAwait(false);
            Current()?.Steps.Add(new AllureStep { Name = name, Status = AllureStatus.Passed, Start = start, Stop = Now() });
        }
        catch (Exception ex)
        {
            Current()?.Steps.Add(new AllureStep { Name = name, Status = ex is AssertionException ? AllureStatus.Failed : AllureStatus.Broken, StatusDetails = new AllureStatusDetails { Message = ex.Message }, Start = start, Stop = Now() });
            throw;
        }
    }

    /// <summary>Adds ready-made steps (e.g. from <see cref="AllureConversion.Steps"/>).</summary>
    public static void AddSteps(IEnumerable<AllureStep> steps) => Current()?.Steps.AddRange(steps);

    /// <summary>Adds a label (feature, severity, tag, …).</summary>
    public static void Label(string name, string value) => Current()?.Labels.Add(new AllureLabel(name, value));

    /// <summary>Adds a parameter shown with the result.</summary>
    public static void Parameter(string name, string value) => Current()?.Parameters.Add(new AllureParameter(name, value));

    /// <summary>Attaches text content to the running test.</summary>
    public static void Attach(string name, string mimeType, string extension, string content)
    {
        if (Current() is { } record)
        {
            record.Attachments.Add(Writer.AddAttachment(name, mimeType, extension, content));
        }
    }

    /// <summary>Attaches a file (e.g. a screenshot) to the running test.</summary>
    public static void AttachFile(string name, string mimeType, string path)
    {
        if (Current() is { } record)
        {
            record.Attachments.Add(Writer.AddAttachment(name, mimeType, Path.GetExtension(path), File.ReadAllBytes(path)));
        }
    }

    /// <summary>Overrides the Allure status derived from the NUnit outcome (e.g. <c>unknown</c> for a dimension not observed).</summary>
    public static void OverrideStatus(string status) => Current()?.SetStatus(status);

    internal static void Begin(string testId) => Running[testId] = new TestRecord(Now());

    internal static void End(ITest test)
    {
        if (!Running.TryRemove(test.Id, out var record))
        {
            return;
        }

        var result = TestContext.CurrentContext.Result;
        var status = record.Status ?? result.Outcome.Status switch
        {
            TestStatus.Passed => AllureStatus.Passed,
            TestStatus.Skipped => AllureStatus.Skipped,
            TestStatus.Inconclusive => AllureStatus.Unknown,
            TestStatus.Warning => AllureStatus.Passed,
            _ when result.Outcome.Label == "Error" => AllureStatus.Broken,
            _ => AllureStatus.Failed,
        };
        var className = test.ClassName ?? "tests";
        var labels = new List<AllureLabel>
        {
            new("parentSuite", test.TypeInfo?.Assembly.GetName().Name ?? "tests"),
            new("suite", className[(className.LastIndexOf('.') + 1)..]),
            new("testClass", className),
            new("testMethod", test.MethodName ?? test.Name),
            new("framework", "nunit"),
            new("language", "csharp"),
        };
        foreach (var category in test.Properties["Category"].OfType<string>())
        {
            labels.Add(new AllureLabel("tag", category));
        }

        labels.AddRange(record.Labels);
        var arguments = test.Arguments.Select((a, i) => new AllureParameter($"arg{i}", a?.ToString() ?? "null"));
        Writer.WriteResult(new AllureResult
        {
            Uuid = AllureWriter.NewUuid(),
            HistoryId = AllureWriter.StableId(test.FullName),
            TestCaseId = AllureWriter.StableId(test.FullName),
            Name = test.Name,
            FullName = test.FullName,
            Labels = labels,
            Parameters = [.. arguments, .. record.Parameters],
            Status = status,
            StatusDetails = string.IsNullOrEmpty(result.Message) && string.IsNullOrEmpty(result.StackTrace) ? null : new AllureStatusDetails { Message = result.Message, Trace = result.StackTrace },
            Steps = record.Steps.ToArray(),
            Attachments = record.Attachments.ToArray(),
            Start = record.Start,
            Stop = Now(),
        });
    }

    private static TestRecord? Current() => Running.TryGetValue(TestContext.CurrentContext.Test.ID, out var record) ? record : null;

    private static long Now() => AllureWriter.Millis(DateTimeOffset.UtcNow);

    private static string ResultsDirectory()
    {
        var configured = TestContext.Parameters.Get("allureResults") ?? Environment.GetEnvironmentVariable("ALLURE_RESULTS_DIR");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.IsPathRooted(configured) ? configured : Path.Combine(RepoPaths.Root, configured);
        }

        return Path.Combine(RepoPaths.Root, "reports", "allure-results");
    }

    private sealed class TestRecord(long start)
    {
        private string? _status;

        public long Start { get; } = start;

        public List<AllureStep> Steps { get; } = [];

        public List<AllureLabel> Labels { get; } = [];

        public List<AllureParameter> Parameters { get; } = [];

        public List<AllureAttachment> Attachments { get; } = [];

        public string? Status => _status;

        public void SetStatus(string status) => _status = status;
    }
}
