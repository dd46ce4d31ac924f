using System.Collections.Concurrent;
using System.Diagnostics;
using DualStack.TestUtils;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using System.Text;

namespace DualStack.Cli.Tests;

/// <summary>Tracing switched on and off by the standard OTEL_* variables, on the real process.</summary>
public sealed class TracingProcessTests
{
    [Test]
    public async Task Verify_OtlpEndpointSet_ExportsReplaySpansToTheCollector()
    {
        var dir = Directory.CreateTempSubdirectory("tracing-").FullName;
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        await using var collector = await LoopbackApp.StartAsync(app => app.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.Enqueue((context.Request.Path.Value!, body.ToArray()));
            return Results.Ok();
        }));

        var (exit, output) = await RunAsync(dir, new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address.AbsoluteUri.TrimEnd('/'), ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf" },
            "verify", "--scenario", Path.Combine(CliRunner.RepoRoot, "scenarios", "demo.json"), "--synthetic", "2", "--lexical", "--reports", "out");

        Assert.That(exit, Is.Zero, output);
        var traces = received.Where(r => r.Path == "/v1/traces").ToArray();
        Assert.That(traces, Is.Not.Empty, "the spans were exported (flushed at exit) to the OTLP endpoint");
        // OTLP protobuf keeps strings as UTF-8: the span names, source and service name are readable in the bytes.
        var text = string.Concat(traces.Select(t => Encoding.UTF8.GetString(t.Body)));
        Assert.That(text, Does.Contain("replay turn").And.Contain("stack turn").And.Contain("DualStack.Replay").And.Contain("dualstack"));
    }

    [Test]
    public async Task Verify_UnknownTracesExporter_ExitsTwoNamingTheAllowedValues()
    {
        var dir = Directory.CreateTempSubdirectory("tracing-").FullName;

        var (exit, output) = await RunAsync(dir, new() { ["OTEL_TRACES_EXPORTER"] = "jaeger" }, "verify", "--synthetic", "2", "--lexical");

        Assert.That(exit, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("OTEL_TRACES_EXPORTER: 'jaeger' is not one of otlp, none"));
    }

    private static async Task<(int Exit, string Output)> RunAsync(string workingDirectory, Dictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dualstack.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToArray())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        info.Environment.Remove("DUALSTACK_DEBUG");
        var result = await CliRunner.RunProcessAsync(info, TimeSpan.FromMinutes(3));
        return (result.ExitCode, result.ToString());
    }
}
