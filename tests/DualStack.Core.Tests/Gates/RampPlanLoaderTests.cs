using DualStack.Core.Config;
using DualStack.Core.Gates;
using DualStack.Core.Tests.Capture;
using DualStack.Core.Tests.Support;

namespace DualStack.Core.Tests.Gates;

public sealed class RampPlanLoaderTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void CreateDirectory() => _dir = new TempDirectory();

    [TearDown]
    public void DeleteDirectory() => _dir.Dispose();

    private string Write(string json)
    {
        var path = _dir.File("ramp.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static ConfigException LoadFails(string path) => Assert.Throws<ConfigException>(() => RampPlanLoader.Load(path))!;

    [Test]
    public void Load_ShippedRampJson_HasTheDocumentedPlan()
    {
        var plan = RampPlanLoader.Load(SplitTestFiles.FindRepoFile(Path.Combine("scenarios", "ramp.json")));

        Assert.That(plan.Steps, Is.EqualTo(new[] { 5.0, 25, 50, 100 }));
        Assert.That(plan.Hold, Is.EqualTo(TimeSpan.FromSeconds(300)));
        Assert.That(plan.Window, Is.EqualTo(TimeSpan.FromSeconds(60)));
        Assert.That(plan.EffectiveGates, Is.EqualTo(new GateConfig { Method = GateMethod.Sequential, Confidence = 0.99, FailureThreshold = 1, AbsoluteErrorTolerance = 0.01, MaxP95Ratio = 1.10, P95SlackMs = 5, MinRequests = 100 }));
    }

    [Test]
    public void Load_EmptyObject_GivesDefaults()
    {
        var plan = RampPlanLoader.Load(Write("{}"));

        Assert.That(plan.Steps, Is.EqualTo(new[] { 5.0, 25, 50, 100 }));
        Assert.That((plan.HoldSeconds, plan.WindowSeconds, plan.MinRequests), Is.EqualTo((300, 60, 100L)));
    }

    [Test]
    public void Load_ManyBadValues_ReportsEveryErrorWithFileFieldAndValue()
    {
        var path = Write("""
            {
              "steps": [5, 50, 120, 40, 0],
              "holdSeconds": -1,
              "windowSeconds": 0,
              "minRequests": 0,
              "gates": { "confidence": 1.5, "failureThreshold": 0, "absoluteErrorTolerance": -0.1, "maxP95Ratio": 0.9, "p95SlackMs": -1 }
            }
            """);
        var file = SplitTestFiles.Display(path);

        var ex = LoadFails(path);

        Assert.That(ex.Errors, Is.EqualTo(new[]
        {
            $"{file}: steps[2]: 120 is not a percentage between 0 and 100",
            $"{file}: steps[3]: 40 is not above steps[2] (120); steps must be strictly ascending",
            $"{file}: steps[4]: 0 must be above 0 (a step of 0 % sends nothing to the new stack)",
            $"{file}: holdSeconds: -1 must not be negative",
            $"{file}: windowSeconds: 0 must be between 1 and 86400",
            $"{file}: minRequests: 0 must be at least 1",
            $"{file}: gates.confidence: 1.5 must be between 0.5 and 1 (exclusive)",
            $"{file}: gates.failureThreshold: 0 must be between 1 and 3600 (failing evaluations in a row, one per second)",
            $"{file}: gates.absoluteErrorTolerance: -0.1 must be at least 0 and below 1 (a fraction, 0.01 = 1 point)",
            $"{file}: gates.maxP95Ratio: 0.9 must be at least 1",
            $"{file}: gates.p95SlackMs: -1 must not be negative",
        }));
    }

    [Test]
    public void Load_UnknownGateMethod_NamesFileAndField()
    {
        var path = Write("""{ "gates": { "method": "bayesian" } }""");

        Assert.That(LoadFails(path).Errors.Single(), Does.StartWith(SplitTestFiles.Display(path)).And.Contain("gates.method"));
    }

    [Test]
    public void Load_EmptySteps_Error()
    {
        Assert.That(LoadFails(Write("""{ "steps": [] }""")).Errors.Single(), Does.EndWith("steps: is empty; give at least one percentage, e.g. [5, 25, 50, 100]"));
    }

    [Test]
    public void Load_UnknownProperty_NamesItWithLine()
    {
        var path = Write("""
            {
              "steps": [5, 100],
              "holdSecs": 30
            }
            """);

        var error = LoadFails(path).Errors.Single();

        Assert.That(error, Is.EqualTo($"{SplitTestFiles.Display(path)}: holdSecs: unknown property; did you mean 'holdSeconds'? (line 3, position 3)"));
    }

    [Test]
    public void Load_SeveralUnknownProperties_ReportsEveryOneAndTheOtherErrors()
    {
        var path = Write("""
            {
              "steps": [50, 25],
              "holdSecs": 30,
              "gates": { "confidance": 0.9, "maxP95": 2 }
            }
            """);
        var file = SplitTestFiles.Display(path);

        var errors = LoadFails(path).Errors;

        Assert.That(errors, Is.EquivalentTo(new[]
        {
            $"{file}: holdSecs: unknown property; did you mean 'holdSeconds'? (line 3, position 3)",
            $"{file}: gates.confidance: unknown property; did you mean 'confidence'? (line 4, position 14)",
            $"{file}: gates.maxP95: unknown property (line 4, position 33)",
            $"{file}: steps[1]: 25 is not above steps[0] (50); steps must be strictly ascending",
        }));
    }

    [Test]
    public void Load_MinRequestsInsideGates_ErrorPointsToTopLevel()
    {
        var path = Write("""{ "gates": { "MinRequests": 5 } }""");

        var error = LoadFails(path).Errors.Single();

        Assert.That(error, Is.EqualTo($"{SplitTestFiles.Display(path)}: gates.minRequests: set minRequests at the top level, next to windowSeconds"));
    }

    [Test]
    public void Load_UnknownPropertyInGates_NamesItWithPath()
    {
        var error = LoadFails(Write("""{ "gates": { "confidance": 0.9 } }""")).Errors.Single();

        Assert.That(error, Does.Contain(": gates.confidance: unknown property; did you mean 'confidence'?"));
    }

    [Test]
    public void Load_MalformedJson_ReportsLine()
    {
        var path = Write("""
            {
              "steps": [5, 100]
              "holdSeconds": 30
            }
            """);

        var error = LoadFails(path).Errors.Single();

        Assert.That(error, Does.StartWith($"{SplitTestFiles.Display(path)}: line 3, position "));
        Assert.That(error, Does.Contain("invalid JSON"));
    }

    [Test]
    public void Load_WrongType_ReportsFieldAndLine()
    {
        var error = LoadFails(Write("{\n  \"holdSeconds\": \"five\"\n}")).Errors.Single();

        Assert.That(error, Does.Contain("line 2"));
        Assert.That(error, Does.Contain("$.holdSeconds"));
    }

    [Test]
    public void Load_MissingFile_CannotRead()
    {
        var error = LoadFails(_dir.File("nope.json")).Errors.Single();

        Assert.That(error, Does.Contain("cannot read"));
    }
}
