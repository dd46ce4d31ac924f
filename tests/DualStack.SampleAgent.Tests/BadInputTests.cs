using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace DualStack.SampleAgent.Tests;

[TestFixture]
public sealed class BadInputTests
{
    private static async Task<(HttpStatusCode Status, string? MediaType, JsonObject Problem)> SendAsync(AgentClient agent, HttpContent content)
    {
        using var response = await agent.Http.PostAsync("v1/conversations/c-1/turns", content);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, JsonNode.Parse(body)!.AsObject());
    }

    [TestCase("""{"userId":"u-1","message":""}""", "message")]
    [TestCase("""{"userId":"u-1","message":"   "}""", "message")]
    [TestCase("""{"userId":"u-1"}""", "message")]
    [TestCase("""{"message":"hi"}""", "userId")]
    [TestCase("""{"userId":"","message":"hi"}""", "userId")]
    public async Task Turn_MissingOrEmptyField_Returns400ProblemNamingField(string json, string field)
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions());

        var (status, mediaType, problem) = await SendAsync(agent, new StringContent(json, Encoding.UTF8, "application/json"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(mediaType, Is.EqualTo("application/problem+json"));
            Assert.That(problem["detail"]!.GetValue<string>(), Does.Contain($"'{field}'"));
            Assert.That(problem["errors"]![field], Is.Not.Null);
        }
    }

    [TestCase("this is not json")]
    [TestCase("")]
    [TestCase("""["an","array"]""")]
    [TestCase("null")]
    [TestCase("""{"userId":"u-1","message":42}""")]
    public async Task Turn_NonJsonBody_Returns400Problem(string body)
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions());

        var (status, mediaType, problem) = await SendAsync(agent, new StringContent(body, Encoding.UTF8, "text/plain"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(mediaType, Is.EqualTo("application/problem+json"));
            Assert.That(problem["detail"]!.GetValue<string>(), Does.Contain("request body"));
        }
    }

    [Test]
    public async Task UnknownRoute_Returns404Problem()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions());

        using var response = await agent.Http.GetAsync("v1/nothing-here");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }
}

[TestFixture]
public sealed class OptionsParserTests
{
    [Test]
    public void Parse_AllOptions_ReadsThem()
    {
        var options = SampleAgentOptionsParser.Parse(
            ["--profile", "V2", "--nondeterministic", "--seed", "9", "--faults", "drop-skill, latency:20", "--faults=errors:5",
             "--integrations", "http://127.0.0.1:9000/base", "--urls", "http://127.0.0.1:0"]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options.Profile, Is.EqualTo("v2"));
            Assert.That(options.Nondeterministic, Is.True);
            Assert.That(options.Seed, Is.EqualTo(9));
            Assert.That(options.Faults, Is.EqualTo(new[] { "drop-skill", "latency:20", "errors:5" }));
            Assert.That(options.IntegrationsBaseUrl, Is.EqualTo(new Uri("http://127.0.0.1:9000/base")));
        }
    }

    [Test]
    public void Parse_NoArguments_Defaults()
    {
        var options = SampleAgentOptionsParser.Parse([]);

        Assert.That(options, Is.EqualTo(new SampleAgentOptions { Faults = options.Faults }));
        Assert.That(options.Faults, Is.Empty);
    }

    [Test]
    public void Parse_UnknownFault_ThrowsOneLineNamingItAndKnownFaults()
    {
        var ex = Assert.Throws<ArgumentException>(() => SampleAgentOptionsParser.Parse(["--faults", "skip-memory,foo"]));

        Assert.That(ex.Message, Does.StartWith("unknown fault 'foo' (known: skip-memory, wrong-skill-args,"));
        Assert.That(ex.Message, Does.Not.Contain('\n'));
    }

    [TestCase("--help")]
    [TestCase("-h")]
    [TestCase("-?")]
    public async Task Main_Help_ExitsZeroWithoutStarting(string flag)
    {
        var exit = await Program.Main(["--profile", "v9", flag]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exit, Is.Zero, "help wins over a bad option and starts nothing");
            Assert.That(SampleAgentOptionsParser.WantsHelp(["--faults", "id-typo"]), Is.False);
        }
    }

    [TestCase("latency")]
    [TestCase("latency:soon")]
    [TestCase("latency:-5")]
    [TestCase("errors:150")]
    [TestCase("errors:")]
    [TestCase("drop-skill:2")]
    public void Parse_MalformedFault_ThrowsNamingIt(string fault)
    {
        var ex = Assert.Throws<ArgumentException>(() => SampleAgentOptionsParser.Parse(["--faults", fault]));

        Assert.That(ex.Message, Does.Contain($"'{fault}'"));
    }

    [Test]
    public void Parse_UnknownProfile_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => SampleAgentOptionsParser.Parse(["--profile", "v3"]));

        Assert.That(ex.Message, Is.EqualTo("unknown profile 'v3' (known: v1, v2)"));
    }

    [TestCase("--colour")]
    [TestCase("--seed")]
    public void Parse_UnknownOrIncompleteOption_Throws(string arg)
    {
        var ex = Assert.Throws<ArgumentException>(() => SampleAgentOptionsParser.Parse([arg]));

        Assert.That(ex.Message, Does.Contain(arg));
    }

    [TestCase("--seed", "soon", "--seed")]
    [TestCase("--nondeterministic", "maybe", "--nondeterministic")]
    [TestCase("--integrations", "not-a-url", "integrations URL")]
    [TestCase("--profile", "v9", "profile")]
    [TestCase("--faults", "latency:soon", "fault")]
    public async Task Main_BadValue_ExitsTwoAndTheMessageNamesOptionAndValue(string option, string value, string named)
    {
        var inline = $"{option}={value}";
        var ex = Assert.Throws<ArgumentException>(() => SampleAgentOptionsParser.Parse([inline]));

        var exit = await Program.Main([inline]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(ex!.Message, Does.Contain(named).And.Contain($"'{value}'"));
        }
    }

    [Test]
    public void Parse_SeveralBadOptions_ReportsEveryOneOnOneLine()
    {
        var ex = Assert.Throws<ArgumentException>(() => SampleAgentOptionsParser.Parse(["--seed", "x", "--colour", "red", "--profile", "v9", "--faults", "nope"]));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Message, Does.Contain("option '--seed' needs a whole number, not 'x'"));
            Assert.That(ex.Message, Does.Contain("unknown option '--colour' (known: --profile, --nondeterministic, --seed, --faults, --integrations, --urls)"));
            Assert.That(ex.Message, Does.Contain("unexpected argument 'red'"));
            Assert.That(ex.Message, Does.Contain("unknown profile 'v9' (known: v1, v2)"));
            Assert.That(ex.Message, Does.Contain("unknown fault 'nope'"));
            Assert.That(ex.Message, Does.Not.Contain('\n'));
        }
    }

    [Test]
    public void Parse_HostAndConfigurationOptions_GoToTheHostUnchanged()
    {
        string[] host = ["--urls", "http://127.0.0.1:0", "--environment", "Staging", "--Logging:LogLevel:Default", "Warning", "--Kestrel:Limits:MaxRequestBodySize=1000", "AllowedHosts=*"];

        var options = SampleAgentOptionsParser.Parse(["--profile", "v2", .. host, "--nondeterministic=false"], out var hostArgs);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options.Profile, Is.EqualTo("v2"));
            Assert.That(options.Nondeterministic, Is.False);
            Assert.That(hostArgs, Is.EquivalentTo(host));
        }
    }

    [Test]
    public void Validate_SeveralProblems_ReportsAll()
    {
        var errors = SampleAgentOptionsParser.Validate(new SampleAgentOptions { Profile = "v9", Faults = ["nope", "errors:x"] });

        Assert.That(errors, Has.Count.EqualTo(3));
    }

    [Test]
    public void StartAsync_UnknownFault_ThrowsArgumentException()
    {
        var ex = Assert.ThrowsAsync<ArgumentException>(() => SampleAgentServer.StartAsync(new SampleAgentOptions { Faults = ["foo"] }));

        Assert.That(ex.Message, Does.Contain("unknown fault 'foo'"));
    }

    [Test]
    public void StartAsync_UnknownProfile_ThrowsArgumentException()
    {
        var ex = Assert.ThrowsAsync<ArgumentException>(() => SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v3" }));

        Assert.That(ex.Message, Does.Contain("unknown profile 'v3'"));
    }
}
