using System.Text.Json;
using System.Text.Json.Nodes;
using DualStack.Core.Config;
using DualStack.Core.Gates;
using DualStack.Core.Model;
using DualStack.Core.Routing;
using DualStack.Core.Tests.Capture;
using DualStack.Core.Tests.Support;
using Refit;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace DualStack.Core.Tests.Routing;

public sealed class SplitAdminTests : WireMockTest
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);


    internal static SplitStatus Sample() => new()
    {
        Split = new SplitSnapshot(25, RolledBack: false, RollbackReason: null, RampStep: 1, T0, Version: 4, PinCount: 123),
        Old = new WindowStats(1_000, 5, 0.005, 40, 120, 300.5),
        New = new WindowStats(300, 2, 2 / 300.0, 45, 130, 310),
        Gates = [new GateResult("error-rate", GateStatus.Pass, "new 0.67 % vs old 0.50 %"), new GateResult("p95-latency", GateStatus.Inconclusive, "new has 37 of 100 requests")],
        Ramp = new RampStatus(1, [5, 25, 50, 100], TimeSpan.FromSeconds(90.5), [new GateResult("error-rate", GateStatus.Fail, "x")], "holding at 25 %"),
        History = [new AuditEntry(T0, "ramp", AuditActions.AutoAdvance, 5, 25, "gates passed"), new AuditEntry(T0.AddHours(1), "alice", AuditActions.Rollback, 25, 0, "")],
        WebhooksToOld = 1,
        WebhooksToNew = 2,
        RequestsToOld = 3,
        RequestsToNew = 4,
    };

    [Test]
    public void Json_SplitStatus_RoundTripsThroughDualStackJson()
    {
        var sample = Sample();

        var json = JsonSerializer.Serialize(sample, DualStackJson.Options);
        var back = JsonSerializer.Deserialize<SplitStatus>(json, DualStackJson.Options)!;

        Assert.That(JsonSerializer.Serialize(back, DualStackJson.Options), Is.EqualTo(json));
        Assert.That(back.Split, Is.EqualTo(sample.Split));
        Assert.That((back.Old, back.New), Is.EqualTo((sample.Old, sample.New)));
        Assert.That(back.Gates, Is.EqualTo(sample.Gates));
        Assert.That(back.History, Is.EqualTo(sample.History));
        Assert.That(back.Ramp!.HeldFor, Is.EqualTo(TimeSpan.FromSeconds(90.5)));
        Assert.That(back.Ramp.Steps, Is.EqualTo(sample.Ramp!.Steps));
        Assert.That(back.Ramp.Gates, Is.EqualTo(sample.Ramp.Gates));
        Assert.That((back.WebhooksToOld, back.WebhooksToNew, back.RequestsToOld, back.RequestsToNew), Is.EqualTo((1L, 2L, 3L, 4L)));
        Assert.That(json, Does.Contain("\"status\":\"inconclusive\"").And.Contain("\"action\":\"auto-advance\"").And.Contain("\"promoted\":false").And.Contain("\"rampStep\":1"));
    }

    [Test]
    public void Json_MinimalStatus_DefaultsAndNoRamp()
    {
        var json = """{ "split": { "percent": 100, "rolledBack": false, "rampStep": -1, "changedAt": "2026-12-01T09:00:00+00:00", "version": 9, "pinCount": 0 } }""";

        var status = JsonSerializer.Deserialize<SplitStatus>(json, DualStackJson.Options)!;

        Assert.That(status.Split.Promoted, Is.True);
        Assert.That(status.Ramp, Is.Null);
        Assert.That(status.Gates, Is.Empty);
        Assert.That(status.Old, Is.EqualTo(WindowStats.Empty));
    }

    [Test]
    public void Json_Requests_RoundTrip()
    {
        var percent = new SetPercentRequest(12.5, "canary");
        var reason = new ReasonRequest(null);

        Assert.That(JsonSerializer.Deserialize<SetPercentRequest>(JsonSerializer.Serialize(percent, DualStackJson.Options), DualStackJson.Options), Is.EqualTo(percent));
        Assert.That(JsonSerializer.Serialize(reason, DualStackJson.Options), Is.EqualTo("{}"));
        Assert.That(JsonSerializer.Deserialize<ReasonRequest>("{}", DualStackJson.Options), Is.EqualTo(reason));
    }

    [Test]
    public async Task Client_GetState_SendsBearerTokenAndParsesStatus()
    {
        Server.Given(Request.Create().WithPath("/admin/api/state").UsingGet().WithHeader("Authorization", "Bearer s3cret"))
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(JsonSerializer.Serialize(Sample(), DualStackJson.Options)));
        var client = SplitAdminClient.Create(new Uri(Server.Url!), "s3cret");

        var status = await client.GetStateAsync(CancellationToken.None);

        Assert.That(status.Split, Is.EqualTo(Sample().Split));
        Assert.That(status.History, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Client_SetPercentAndRollback_PostJsonBodies()
    {
        var body = JsonSerializer.Serialize(Sample(), DualStackJson.Options);
        foreach (var path in new[] { "/admin/api/percent", "/admin/api/rollback", "/admin/api/advance", "/admin/api/promote" })
        {
            Server.Given(Request.Create().WithPath(path).UsingPost())
                .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(body));
        }

        var client = SplitAdminClient.Create(new Uri(Server.Url!), "t");

        await client.SetPercentAsync(new SetPercentRequest(25, "next"), CancellationToken.None);
        await client.RollbackAsync(new ReasonRequest("bad replies"), CancellationToken.None);
        await client.AdvanceAsync(new ReasonRequest(null), CancellationToken.None);
        await client.PromoteAsync(new ReasonRequest("done"), CancellationToken.None);

        var requests = Server.LogEntries.Select(e => e.RequestMessage!).ToArray();
        Assert.That(requests.Select(r => r.Path), Is.EqualTo(new[] { "/admin/api/percent", "/admin/api/rollback", "/admin/api/advance", "/admin/api/promote" }));
        var first = JsonNode.Parse(requests[0].Body!)!;
        Assert.That((first["percent"]!.GetValue<double>(), first["reason"]!.GetValue<string>()), Is.EqualTo((25.0, "next")));
        Assert.That(JsonNode.Parse(requests[1].Body!)!["reason"]!.GetValue<string>(), Is.EqualTo("bad replies"));
        Assert.That(requests.Select(r => r.Headers!["Authorization"].Single()), Is.All.EqualTo("Bearer t"));
    }

    [Test]
    public void Client_Unauthorized_ThrowsApiExceptionWith401()
    {
        Server.Given(Request.Create().WithPath("/admin/api/state").UsingGet()).RespondWith(Response.Create().WithStatusCode(401));
        var client = SplitAdminClient.Create(new Uri(Server.Url!), "wrong");

        var ex = Assert.ThrowsAsync<ApiException>(() => client.GetStateAsync(CancellationToken.None));

        Assert.That((int)ex!.StatusCode, Is.EqualTo(401));
    }

    [Test]
    public void ResolveToken_EnvironmentVariableSet_ReturnsItTrimmed()
    {
        var token = SplitAdminClient.ResolveToken("ADMIN_TOKEN", tokenFile: null, name => name == "ADMIN_TOKEN" ? " abc123\n" : null);

        Assert.That(token, Is.EqualTo("abc123"));
    }

    [Test]
    public void ResolveToken_FromFile_ReturnsContentTrimmed()
    {
        using var dir = new TempDirectory();
        var file = dir.File("token");
        File.WriteAllText(file, "file-token\n");

        Assert.That(SplitAdminClient.ResolveToken(tokenEnv: null, file, _ => null), Is.EqualTo("file-token"));
        Assert.That(SplitAdminClient.ResolveToken("UNSET", file, _ => null), Is.EqualTo("file-token"), "falls back to the file");
    }

    [Test]
    public void ResolveToken_VariableUnset_ErrorNamesTheVariable()
    {
        var ex = Assert.Throws<ConfigException>(() => SplitAdminClient.ResolveToken("ADMIN_TOKEN", tokenFile: null, _ => ""));

        Assert.That(ex!.Errors, Is.EqualTo(new[] { "admin token: environment variable 'ADMIN_TOKEN' is not set or empty" }));
    }

    [Test]
    public void ResolveToken_BothMissing_ErrorNamesBoth()
    {
        using var dir = new TempDirectory();
        var file = dir.File("missing-token");

        var ex = Assert.Throws<ConfigException>(() => SplitAdminClient.ResolveToken("ADMIN_TOKEN", file, _ => null));

        Assert.That(ex!.Errors, Is.EqualTo(new[] { "admin token: environment variable 'ADMIN_TOKEN' is not set or empty", $"admin token: file '{file}' does not exist" }));
    }

    [Test]
    public void ResolveToken_EmptyFile_ErrorWithoutContent()
    {
        using var dir = new TempDirectory();
        var file = dir.File("token");
        File.WriteAllText(file, "  \n");

        var ex = Assert.Throws<ConfigException>(() => SplitAdminClient.ResolveToken(null, file, _ => null));

        Assert.That(ex!.Errors.Single(), Is.EqualTo($"admin token: file '{file}' is empty"));
    }

    [Test]
    public void ResolveToken_NothingGiven_SaysHowToGiveOne()
    {
        var ex = Assert.Throws<ConfigException>(() => SplitAdminClient.ResolveToken(null, " ", _ => "ignored"));

        Assert.That(ex!.Errors.Single(), Does.StartWith("admin token: none given"));
    }
}
