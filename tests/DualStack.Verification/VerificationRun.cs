using DualStack.Core.Reports;
using DualStack.Core.Results;
using DualStack.Core.Runs;
using DualStack.Core.Stacks;
using DualStack.Sandbox;
using DualStack.Semantic;
using DualStack.TestUtils;

namespace DualStack.Verification;

/// <summary>
/// Runs the whole verification once (conversations in parallel, run-level noise aggregation) before the per-conversation
/// test cases assert on their share; writes results.json and the HTML report of the run.
/// </summary>
[SetUpFixture]
public sealed class VerificationRun
{
    private static RunResult? _result;
    private static string? _reportPath;
    private static RunOutcome? _outcome;

    public static RunResult Result => _result ?? throw new InvalidOperationException("the verification run did not complete; see the set-up failure");

    public static string? ReportPath => _reportPath;

    /// <summary>The run's outcome under the runsettings policy (<c>failOn</c>, <c>maxErrors</c>).</summary>
    public static RunOutcome Outcome => _outcome ?? throw new InvalidOperationException("the verification run did not complete; see the set-up failure");

    [OneTimeSetUp]
    public async Task RunAsync()
    {
        var settings = VerificationSettings.FromTestParameters();
        var scenario = settings.LoadScenario();
        var conversations = settings.Conversations(scenario);
        EmbeddedStacks? embedded = null;
        try
        {
            var oldConfig = scenario.Old with { Url = settings.OldStack ?? scenario.Old.Url, Adapter = settings.Embedded ? scenario.Old.Adapter : settings.Adapter };
            var newConfig = scenario.New with { Url = settings.NewStack ?? scenario.New.Url, Adapter = settings.Embedded ? scenario.New.Adapter : settings.Adapter };
            if (string.IsNullOrWhiteSpace(oldConfig.Url) && string.IsNullOrWhiteSpace(newConfig.Url))
            {
                // The project's own CI: old v1 against new v2 (reworded, nondeterministic), no faults: must pass.
                embedded = await EmbeddedStacks.StartAsync(new EmbeddedStackOptions(), CancellationToken.None);
                oldConfig = oldConfig with { Url = embedded.OldServer.BaseAddress.AbsoluteUri };
                newConfig = newConfig with { Url = embedded.NewServer.BaseAddress.AbsoluteUri };
            }

            var timeout = TimeSpan.FromSeconds(scenario.Replay.TurnTimeoutSeconds);
            using var oldStack = StackFactory.Create("old", oldConfig, turnTimeout: timeout);
            using var newStack = StackFactory.Create("new", newConfig, turnTimeout: timeout);
            using var semantic = settings.Lexical ? null : new MiniLmSimilarity();
            _result = await VerificationRunner.RunAsync(
                new VerificationRequest { Scenario = scenario, Old = oldStack, New = newStack, Conversations = conversations, Semantic = semantic, Seed = settings.Seed },
                progress: null,
                timeProvider: null,
                CancellationToken.None);
            var directory = Path.Combine(RepoPaths.Resolve(settings.ReportsDir), _result.RunId);
            await ResultsFile.WriteAsync(_result, directory, CancellationToken.None);
            _reportPath = await HtmlReport.WriteAsync(_result, directory, CancellationToken.None);
            AllureConversion.WriteRunFiles(Allure.Writer, _result);
            _outcome = RunOutcome.Evaluate(_result, settings.Policy);
            TestContext.Progress.WriteLine($"verification run {_result.RunId}: {_result.Summary.Conversations} conversations, {_result.Summary.Regressions} regressions, {_result.Summary.Errors} errors; report {_reportPath}");
            TestContext.Progress.WriteLine(_outcome.Message);
        }
        finally
        {
            if (embedded is not null)
            {
                await embedded.DisposeAsync();
            }
        }
    }
}
