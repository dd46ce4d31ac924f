using DualStack.Core.Model;
using DualStack.Core.Stacks;

namespace DualStack.Core.Tests.Stacks;

/// <summary>
/// How the capture proxy reads the old stack's answer it saw on the wire (the primary side of every shadow pair): the
/// same reading as the native adapter's, the body kept as the stack sent it.
/// </summary>
public sealed class NativeContractTests
{
    [Test]
    public void ParseTurnResponse_ContractAnswerWithExtraFields_ReadsTheFieldsAndKeepsTheBodyAsSent()
    {
        const string body = """{"conversationId":"c-1","reply":"Order 4411 has shipped.","skillCalls":[{"name":"lookup_order","status":"ok"}],"memory":{"retrieved":[{"id":"m-1","text":"prefers email","score":0.8}],"written":[]},"debug":{"model":"v1"}}""";

        var observation = NativeContract.ParseTurnResponse("old", "c-1", 3, 200, body, 12.5);

        Assert.That(observation.Error, Is.Null);
        Assert.That((observation.Stack, observation.ConversationId, observation.TurnIndex, observation.HttpStatus, observation.LatencyMs), Is.EqualTo(("old", "c-1", 3, (int?)200, 12.5)));
        Assert.That(observation.Reply, Is.EqualTo("Order 4411 has shipped."));
        Assert.That(observation.SkillCalls!.Single().Name, Is.EqualTo("lookup_order"));
        Assert.That(observation.Memory!.Retrieved!.Single().Text, Is.EqualTo("prefers email"));
        Assert.That(observation.RawResponse, Is.EqualTo(body), "what the client received, not a re-serialisation of the fields read");
    }

    [Test]
    public void ParseTurnResponse_SuccessStatusButNotTheContract_InvalidResponseQuotingTheBody()
    {
        var observation = NativeContract.ParseTurnResponse("old", "c-1", 0, 200, "<html>maintenance</html>", 3);

        Assert.That(observation.Error?.Kind, Is.EqualTo(ObservationErrorKind.InvalidResponse));
        Assert.That(observation.Error!.Message, Does.StartWith("response is not the v1 contract: ").And.Contain("(body starts: <html>maintenance"));
        Assert.That(observation.RawResponse, Is.EqualTo("<html>maintenance</html>"));
    }

    [Test]
    public void ParseTurnResponse_ErrorStatus_HttpStatusErrorWithTheBody()
    {
        var observation = NativeContract.ParseTurnResponse("old", "c-1", 0, 503, """{"detail":"overloaded"}""", 3);

        Assert.That(observation.Error?.Kind, Is.EqualTo(ObservationErrorKind.HttpStatus));
        Assert.That(observation.Error!.Message, Does.Contain("503").And.Contain("overloaded"));
        Assert.That(observation.HttpStatus, Is.EqualTo(503));
    }

    [Test]
    public void ParseTurnResponse_TransportError_ConnectionErrorWithoutStatus()
    {
        var observation = NativeContract.ParseTurnResponse("old", "c-1", 0, 0, null, 3, "ConnectionRefused: no response");

        Assert.That(observation.Error?.Kind, Is.EqualTo(ObservationErrorKind.Connection));
        Assert.That(observation.Error!.Message, Is.EqualTo("ConnectionRefused: no response"));
        Assert.That((observation.HttpStatus, observation.RawResponse), Is.EqualTo(((int?)null, (string?)null)));
    }

    [Test]
    public void ParseTurnResponse_AnswerWithoutReply_InvalidResponseNamingTheField()
    {
        var observation = NativeContract.ParseTurnResponse("old", "c-1", 0, 200, """{"skillCalls":[]}""", 3);

        Assert.That(observation.Error?.Kind, Is.EqualTo(ObservationErrorKind.InvalidResponse));
        Assert.That(observation.Error!.Message, Does.Contain("'reply'"));
        Assert.That(observation.RawResponse, Is.EqualTo("""{"skillCalls":[]}"""));
    }
}
