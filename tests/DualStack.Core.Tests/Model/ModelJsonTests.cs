using System.Text.Json;
using System.Text.Json.Nodes;
using DualStack.Core.Model;

namespace DualStack.Core.Tests.Model;

public sealed class ModelJsonTests
{
    [Test]
    public void Conversation_RoundTrip_KeepsTurnsMetadataAndExpectations()
    {
        var conversation = new Conversation
        {
            Id = "refund-flow",
            UserId = "u-2001",
            Channel = "mobile",
            Source = ConversationSource.Recorded,
            Tags = ["refunds", "vip"],
            Turns =
            [
                new Turn { Message = "Where is order 7788?", Metadata = new Dictionary<string, string> { ["locale"] = "en-GB", ["tier"] = "gold" } },
                new Turn
                {
                    Message = "I want a refund for order 7788.",
                    Expect = new TurnExpectation { Skills = ["lookup_order", "issue_refund"], NoSkills = ["send_sms"], ReplyContains = ["7788"], WritesMemory = true },
                },
            ],
        };

        var json = JsonSerializer.Serialize(conversation, DualStackJson.Options);
        var back = JsonSerializer.Deserialize<Conversation>(json, DualStackJson.Options)!;

        Assert.That(JsonSerializer.Serialize(back, DualStackJson.Options), Is.EqualTo(json));
        Assert.That(back.Channel, Is.EqualTo("mobile"));
        Assert.That(back.Source, Is.EqualTo(ConversationSource.Recorded));
        Assert.That(back.Tags, Is.EqualTo(new[] { "refunds", "vip" }));
        Assert.That(back.Turns, Has.Count.EqualTo(2));
        Assert.That(back.Turns[0].Metadata, Is.EquivalentTo(conversation.Turns[0].Metadata));
        Assert.That(back.Turns[0].Expect, Is.Null);
        var expect = back.Turns[1].Expect!;
        Assert.That(expect.Skills, Is.EqualTo(new[] { "lookup_order", "issue_refund" }));
        Assert.That(expect.NoSkills, Is.EqualTo(new[] { "send_sms" }));
        Assert.That(expect.ReplyContains, Is.EqualTo(new[] { "7788" }));
        Assert.That(expect.WritesMemory, Is.True);
    }

    [Test]
    public void Conversation_Serialize_WritesCamelCaseEnumStrings()
    {
        var conversation = new Conversation { Id = "c", UserId = "u", Source = ConversationSource.Synthetic, Turns = [new Turn { Message = "hi" }] };

        var node = JsonNode.Parse(JsonSerializer.Serialize(conversation, DualStackJson.Options))!;

        Assert.That(node["source"]!.GetValue<string>(), Is.EqualTo("synthetic"));
        Assert.That(node["userId"]!.GetValue<string>(), Is.EqualTo("u"));
    }

    [Test]
    public void StackObservation_RoundTrip_KeepsSkillCallsWithJsonArgumentsAndResults()
    {
        var observation = new StackObservation
        {
            Stack = "new",
            ConversationId = "c-1~b~abc123",
            TurnIndex = 2,
            HttpStatus = 200,
            LatencyMs = 123.5,
            Reply = "Refund of 25.00 USD issued.",
            SkillCalls =
            [
                new SkillCall
                {
                    Name = "issue_refund",
                    Arguments = JsonDocument.Parse("""{"orderId":"4411","amount":25.0,"items":[1,2]}""").RootElement.Clone(),
                    Status = "ok",
                    Result = JsonDocument.Parse("""{"refundId":"RFD-1234","approved":true}""").RootElement.Clone(),
                },
                new SkillCall { Name = "send_email" },
            ],
            Memory = new MemoryObservation
            {
                Retrieved = [new MemoryHit { Id = "m-17", Text = "prefers email", Score = 0.82 }],
                Written = [new MemoryHit { Id = "m-18", Text = "asked about order 4411" }],
            },
            RawResponse = "{}",
        };

        var json = JsonSerializer.Serialize(observation, DualStackJson.Options);
        var back = JsonSerializer.Deserialize<StackObservation>(json, DualStackJson.Options)!;

        Assert.That(JsonSerializer.Serialize(back, DualStackJson.Options), Is.EqualTo(json));
        var refund = back.SkillCalls![0];
        Assert.That(refund.Arguments!.Value.GetProperty("orderId").GetString(), Is.EqualTo("4411"));
        Assert.That(refund.Arguments!.Value.GetProperty("amount").GetDecimal(), Is.EqualTo(25m));
        Assert.That(refund.Result!.Value.GetProperty("approved").GetBoolean(), Is.True);
        Assert.That(back.SkillCalls[1].Arguments, Is.Null, "a call reported without arguments stays without");
        Assert.That(back.SkillCalls[1].Result, Is.Null);
        Assert.That(back.Memory!.Retrieved![0].Score, Is.EqualTo(0.82));
        Assert.That(back.Memory.Written![0].Score, Is.Null);
        Assert.That(back.Memory.Written[0].Text, Is.EqualTo("asked about order 4411"));
        Assert.That(back.LatencyMs, Is.EqualTo(123.5));
        Assert.That(back.Succeeded, Is.True);
    }

    [Test]
    public void StackObservation_RoundTripWithoutSkillsOrMemory_StaysNotObserved()
    {
        var notObserved = new StackObservation { Stack = "new", ConversationId = "c", Reply = "hi", SkillCalls = null, Memory = null };
        var noneCalled = notObserved with { SkillCalls = [], Memory = new MemoryObservation { Retrieved = [], Written = null } };

        var backNotObserved = JsonSerializer.Deserialize<StackObservation>(JsonSerializer.Serialize(notObserved, DualStackJson.Options), DualStackJson.Options)!;
        var backNoneCalled = JsonSerializer.Deserialize<StackObservation>(JsonSerializer.Serialize(noneCalled, DualStackJson.Options), DualStackJson.Options)!;

        Assert.That(backNotObserved.SkillCalls, Is.Null, "not observed must not turn into 'no calls'");
        Assert.That(backNotObserved.Memory, Is.Null);
        Assert.That(backNoneCalled.SkillCalls, Is.Not.Null.And.Empty, "'no calls' must not turn into not observed");
        Assert.That(backNoneCalled.Memory!.Retrieved, Is.Not.Null.And.Empty);
        Assert.That(backNoneCalled.Memory.Written, Is.Null);
    }

    [Test]
    public void ObservationError_RoundTrip_KeepsKindAsCamelCaseString()
    {
        var observation = new StackObservation
        {
            Stack = "new",
            ConversationId = "c",
            HttpStatus = 500,
            Error = new ObservationError(ObservationErrorKind.HttpStatus, "HTTP 500: boom"),
        };

        var json = JsonSerializer.Serialize(observation, DualStackJson.Options);
        var back = JsonSerializer.Deserialize<StackObservation>(json, DualStackJson.Options)!;

        Assert.That(JsonNode.Parse(json)!["error"]!["kind"]!.GetValue<string>(), Is.EqualTo("httpStatus"));
        Assert.That(JsonNode.Parse(json)!["reply"], Is.Null, "nulls are omitted");
        Assert.That(back.Error, Is.EqualTo(new ObservationError(ObservationErrorKind.HttpStatus, "HTTP 500: boom")));
        Assert.That(back.Succeeded, Is.False);
        Assert.That(back.Reply, Is.Null);
    }

    [TestCase(ObservationErrorKind.InvalidResponse, "invalidResponse")]
    [TestCase(ObservationErrorKind.Timeout, "timeout")]
    public void ObservationErrorKind_Serialize_IsCamelCaseString(ObservationErrorKind kind, string expected)
    {
        Assert.That(JsonSerializer.Serialize(kind, DualStackJson.Options), Is.EqualTo($"\"{expected}\""));
        Assert.That(JsonSerializer.Deserialize<ObservationErrorKind>($"\"{expected}\"", DualStackJson.Options), Is.EqualTo(kind));
    }
}
