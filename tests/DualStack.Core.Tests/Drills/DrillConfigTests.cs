using DualStack.Core.Config;
using DualStack.Core.Drills;
using DualStack.Core.Tests.Capture;

namespace DualStack.Core.Tests.Drills;

public sealed class DrillConfigTests
{
    [Test]
    public void Load_SeveralUnknownProperties_ReportsEveryOneAndTheOtherErrors()
    {
        using var dir = new TempDirectory();
        var path = dir.File("drill.json");
        File.WriteAllText(path, """
            {
              "rampTo": 150,
              "trigerr": "command",
              "limits": { "maxFailedRequest": 0 }
            }
            """);
        var file = ConfigFile.Display(path);

        var message = Assert.Throws<InvalidDataException>(() => DrillConfig.Load(path))!.Message;

        Assert.That(message.Split(Environment.NewLine), Is.EquivalentTo(new[]
        {
            $"{file}: trigerr: unknown property; did you mean 'trigger'? (line 3, position 3)",
            $"{file}: limits.maxFailedRequest: unknown property; did you mean 'maxFailedRequests'? (line 4, position 15)",
            $"{file}: rampTo: 150 must be in (0, 100]",
        }));
    }

    [Test]
    public void Load_FaultTriggerAgainstRunningProxyWithoutFaultUrl_NamesFaultUrl()
    {
        using var dir = new TempDirectory();
        var path = dir.File("drill.json");
        File.WriteAllText(path, """
            { "proxyUrl": "http://proxy:8080", "oldStackUrl": "http://old:8080", "newStackUrl": "http://new:8080", "trigger": "fault" }
            """);

        var message = Assert.Throws<InvalidDataException>(() => DrillConfig.Load(path))!.Message;

        Assert.That(message, Does.Contain("faultUrl: required with trigger 'fault'"));
    }

    [Test]
    public void Load_FaultTriggerWithFaultUrl_KeepsIt()
    {
        using var dir = new TempDirectory();
        var path = dir.File("drill.json");
        File.WriteAllText(path, """
            { "proxyUrl": "http://proxy:8080", "oldStackUrl": "http://old:8080", "newStackUrl": "http://new:8080", "trigger": "fault", "faultUrl": "http://new:8080/ops/faults" }
            """);

        Assert.That(DrillConfig.Load(path).FaultUrl, Is.EqualTo("http://new:8080/ops/faults"));
    }
}
