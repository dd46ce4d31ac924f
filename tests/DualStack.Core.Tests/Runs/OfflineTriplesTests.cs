using DualStack.Core.Config;
using DualStack.Core.Model;
using DualStack.Core.Runs;

namespace DualStack.Core.Tests.Runs;

public sealed class OfflineTriplesTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("offline-triples").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Load_BadLine_ErrorNamesFileLineFieldAndValue()
    {
        var path = Write(
            """{"id":"t-1","class":"markdown","label":"ok","message":"hi","a":"x","a2":"x","b":"y"}""",
            """{"id":"t-2","class":"changed-date","label":"regressed","message":"hi","a":"x","b":"y"}""");

        var ex = Assert.Throws<ConfigException>(() => OfflineTriples.Load(path));

        Assert.That(ex!.Errors, Is.EqualTo(new[] { $"{path}:2: 'label': 'regressed' must be 'ok' or 'regression'" }));
    }

    [Test]
    public void Load_ValidRecord_SharesInputsAcrossLanesAndAppliesLaneOverrides()
    {
        var path = Write(
            """{"id":"t-1","class":"negated-outcome","label":"regression","expectKey":"reply.polarity","history":["order 4411"],"message":"refund it","skills":[{"name":"issue_refund","arguments":{"orderId":"4411"},"status":"ok","result":{"amount":25}}],"memory":{"retrieved":[{"text":"User's name is Priya"}]},"a":"Refunded.","a2":"Done, refunded.","b":"We couldn't refund it.","lanes":{"b":{"skills":[]}}}""");

        var record = OfflineTriples.Load(path).Single();
        var conversation = OfflineTriples.ToConversation(record);
        var turn = conversation.Replay.Turns.Single();

        Assert.Multiple(() =>
        {
            Assert.That(conversation.Replay.Conversation.Id, Is.EqualTo("t-1"));
            Assert.That(conversation.Replay.Conversation.Tags, Is.EqualTo(new[] { "negated-outcome" }));
            Assert.That(turn.PriorMessages, Is.EqualTo(new[] { "order 4411" }));
            Assert.That(turn.Old.SkillCalls!.Single().Name, Is.EqualTo("issue_refund"));
            Assert.That(turn.OldRepeat!.Memory!.Retrieved!.Single().Text, Is.EqualTo("User's name is Priya"));
            Assert.That(turn.New.SkillCalls, Is.Empty);
            Assert.That(turn.New.Reply, Is.EqualTo("We couldn't refund it."));
            Assert.That(turn.NewRepeat, Is.Null);
            Assert.That(conversation.LaneIds[Lane.New], Is.EqualTo("t-1~b"));
        });
    }

    private string Write(params string[] lines)
    {
        var path = Path.Combine(_dir, "triples.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }
}
