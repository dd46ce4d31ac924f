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
}
