using DualStack.Core.Config;
using DualStack.Core.Cutover;
using DualStack.Core.Tests.Capture;
using DualStack.Core.Tests.Support;

namespace DualStack.Core.Tests.Cutover;

public sealed class CutoverConfigLoaderTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void CreateDirectory() => _dir = new TempDirectory();

    [TearDown]
    public void DeleteDirectory() => _dir.Dispose();

    private string Write(string json)
    {
        var path = _dir.File("cutover.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Test]
    public void Load_ShippedCutoverJson_IsValid()
    {
        var config = CutoverConfigLoader.Load(SplitTestFiles.FindRepoFile(Path.Combine("scenarios", "cutover.json")));

        Assert.That(config.RequiredAtFullSeconds, Is.EqualTo(86_400));
        Assert.That(config.WindowStart, Is.EqualTo(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.That(config.Dns!.ExpectedAddresses, Is.EqualTo(new[] { "203.0.113.20" }));
    }

    [Test]
    public void Load_MinimalConfig_Defaults()
    {
        var config = CutoverConfigLoader.Load(Write("""
            { "proxyUrl": "http://proxy:8080", "oldStackUrl": "http://old", "newStackUrl": "https://new", "windowStart": "2026-12-01T00:00:00Z" }
            """));

        Assert.That((config.RequiredAtFullSeconds, config.ErrorRateTolerance, config.MaxP95Ratio, config.TlsMinDaysValid, config.TimeoutSeconds), Is.EqualTo((86_400.0, 0.001, 1.10, 14, 10.0)));
        Assert.That((config.BaselineErrorRate, config.BaselineP95Ms, config.Dns), Is.EqualTo(((double?)null, (double?)null, (CutoverDns?)null)));
        Assert.That(config.ExpectWebhooks, Is.True);
    }

    [Test]
    public void Load_BadVerificationPolicy_NamesFileFieldAndValue()
    {
        var path = Write("""
            { "proxyUrl": "http://proxy:8080", "oldStackUrl": "http://old", "newStackUrl": "https://new", "windowStart": "2026-12-01T00:00:00Z",
              "verification": { "results": "run/results.json", "failOn": "severe", "maxErrors": 2 } }
            """);

        var errors = Assert.Throws<ConfigException>(() => CutoverConfigLoader.Load(path))!.Errors;

        var display = Config.ConfigFile.Display(path);
        Assert.That(errors, Is.EquivalentTo(new[]
        {
            $"{display}: verification.failOn: 'severe' is not one of minor, major, critical",
            $"{display}: verification.maxErrors: 2 must be between 0 and 1 (a share, 0.05 = 5 % of conversations)",
        }));
    }

    [Test]
    public void Load_VerificationResults_ResolvedAgainstTheConfigFileWithDefaultPolicy()
    {
        var path = Write("""
            { "proxyUrl": "http://proxy:8080", "oldStackUrl": "http://old", "newStackUrl": "https://new", "windowStart": "2026-12-01T00:00:00Z",
              "verification": { "results": "run/results.json" } }
            """);

        var config = CutoverConfigLoader.Load(path);

        Assert.That(config.Verification!.Results, Is.EqualTo(Path.Combine(Path.GetDirectoryName(path)!, "run", "results.json")));
        Assert.That(config.Verification.Policy, Is.EqualTo(new DualStack.Core.Results.RunPolicy()));
    }

    [Test]
    public void Load_ManyBadValues_ReportsEveryError()
    {
        var path = Write("""
            {
              "proxyUrl": "ftp://proxy",
              "newStackUrl": "http://user:pw@new",
              "requiredAtFullSeconds": -5,
              "baselineErrorRate": 1.5,
              "errorRateTolerance": 1,
              "baselineP95Ms": 0,
              "maxP95Ratio": 0.5,
              "dns": { "name": "bad name!", "expectedAddresses": ["10.0.0.1", "not-an-ip"] },
              "tlsMinDaysValid": -1,
              "timeoutSeconds": 0
            }
            """);
        var file = SplitTestFiles.Display(path);

        var ex = Assert.Throws<ConfigException>(() => CutoverConfigLoader.Load(path))!;

        Assert.That(ex.Errors, Is.EqualTo(new[]
        {
            $"{file}: proxyUrl: 'ftp://proxy' is not an absolute http(s) URL",
            $"{file}: oldStackUrl: is missing",
            $"{file}: newStackUrl: credentials in the URL are not allowed",
            $"{file}: requiredAtFullSeconds: -5 must not be negative",
            $"{file}: baselineErrorRate: 1.5 must be between 0 and 1 (a fraction, 0.005 = 0.5 %)",
            $"{file}: errorRateTolerance: 1 must be at least 0 and below 1 (a fraction, 0.001 = 0.1 point)",
            $"{file}: baselineP95Ms: 0 must be positive",
            $"{file}: maxP95Ratio: 0.5 must be at least 1",
            $"{file}: windowStart: is missing; give the start of the migration window, e.g. \"2026-12-01T00:00:00Z\"",
            $"{file}: dns.name: 'bad name!' is not a host name",
            $"{file}: dns.expectedAddresses[1]: 'not-an-ip' is not an IP address",
            $"{file}: tlsMinDaysValid: -1 must not be negative",
            $"{file}: timeoutSeconds: 0 must be above 0 and at most 300",
        }));
    }

    [Test]
    public void Load_SeveralUnknownProperties_ReportsEveryOne()
    {
        var path = Write("{\n \"proxyUrll\": \"http://127.0.0.1:1/\",\n \"dns\": { \"host\": \"x\", \"nmae\": \"y\" }\n}");
        var file = SplitTestFiles.Display(path);

        var errors = Assert.Throws<ConfigException>(() => CutoverConfigLoader.Load(path))!.Errors;

        Assert.That(errors, Has.One.EqualTo($"{file}: proxyUrll: unknown property; did you mean 'proxyUrl'? (line 2, position 2)"));
        Assert.That(errors, Has.One.EqualTo($"{file}: dns.host: unknown property (line 3, position 11)"));
        Assert.That(errors, Has.One.EqualTo($"{file}: dns.nmae: unknown property; did you mean 'name'? (line 3, position 24)"));
    }

    [Test]
    public void Load_UnknownPropertyInDns_NamesIt()
    {
        var errors = Assert.Throws<ConfigException>(() => CutoverConfigLoader.Load(Write("{\n \"dns\": { \"host\": \"x\" }\n}")))!.Errors;

        Assert.That(errors, Has.One.EqualTo($"{SplitTestFiles.Display(_dir.File("cutover.json"))}: dns.host: unknown property (line 2, position 11)"));
    }

    [Test]
    public void Load_BadDate_NamesFieldAndLine()
    {
        var error = Assert.Throws<ConfigException>(() => CutoverConfigLoader.Load(Write("{\n\n \"windowStart\": \"yesterday\"\n}")))!.Errors.Single();

        Assert.That(error, Does.Contain("line 3").And.Contain("$.windowStart"));
    }
}
