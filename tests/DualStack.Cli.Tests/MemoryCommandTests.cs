using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DualStack.SampleAgent;

namespace DualStack.Cli.Tests;

/// <summary><c>dualstack memory …</c> as a real process against in-process sample agents.</summary>
public sealed class MemoryCommandTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateDir() => _dir = Directory.CreateTempSubdirectory("dualstack-memory-").FullName;

    [TearDown]
    public void DeleteDir() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task Memory_SnapshotThenRestoreIntoEmptyStack_DiffIsIdentical()
    {
        await using var source = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var target = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await RememberAsync(source, "u-1", "c-1", "Please remember that my dog is called Rex");
        await RememberAsync(source, "u-2", "c-2", "Please remember that I prefer email");
        await SeedAsync(source, 300, "snap");

        var snapshot = await CliRunner.RunAsync(_dir, "memory", "snapshot", "--from", Url(source), "--out", "snap.jsonl", "--page-size", "50");
        var restore = await CliRunner.RunAsync(_dir, "memory", "restore", "--to", Url(target), "--in", "snap.jsonl");
        var diff = await CliRunner.RunAsync(_dir, "memory", "diff", Url(source), Url(target));

        Assert.That(snapshot.ExitCode, Is.Zero, snapshot.ToString());
        Assert.That(File.ReadAllLines(Path.Combine(_dir, "snap.jsonl")), Has.Length.EqualTo(302));
        Assert.That(Directory.GetFiles(_dir, "snap.jsonl*").Select(Path.GetFileName), Is.EqualTo(new[] { "snap.jsonl" }), "no temp file left beside the snapshot");
        Assert.That(snapshot.Stdout, Does.Contain("snapshot: 302 entries"));
        Assert.That(restore.ExitCode, Is.Zero, restore.ToString());
        Assert.That(restore.Stdout, Does.Contain("302 entries upserted"));
        Assert.That(diff.ExitCode, Is.Zero, diff.ToString());
        Assert.That(diff.Stdout, Does.Contain("identical"));
        Assert.That(await EntriesAsync(target), Is.EquivalentTo(await EntriesAsync(source)), "ids, users, texts, conversations and createdAt");
    }

    [Test]
    public async Task Memory_Replicate2000EntriesPagedBy100_CopiesEverythingOnce()
    {
        await using var source = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var target = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await SeedAsync(source, 2000, "big");

        var result = await CliRunner.RunAsync(_dir, "memory", "replicate", "--from", Url(source), "--to", Url(target), "--page-size", "100", "--checkpoint", "big.checkpoint");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.Contain("replicate: done: 2000 entries applied in 20 pages"));
        var entries = await EntriesAsync(target);

        Assert.That(entries, Has.Count.EqualTo(2000));
        Assert.That(entries, Is.EquivalentTo(await EntriesAsync(source)));
        TestContext.Out.WriteLine(result.Stdout.Split('\n').Last(l => l.Contains("done", StringComparison.Ordinal)));
    }

    [Test]
    public async Task Memory_ReplicateKilledMidRun_RestartResumesFromCheckpointWithNoEntryLostOrDoubled()
    {
        await using var source = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var target = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await SeedAsync(source, 2000, "crash");
        string[] args = ["memory", "replicate", "--from", Url(source), "--to", Url(target), "--checkpoint", "crash.checkpoint"];
        var killed = 0;

        var first = await CliRunner.RunAsync(
            _dir,
            (process, line) =>
            {
                if (line.StartsWith("replicate: applied", StringComparison.Ordinal) && Interlocked.Exchange(ref killed, 1) == 0)
                {
                    process.Kill(); // SIGKILL: no chance to clean up, like a crash
                }
            },
            [.. args, "--page-size", "20", "--concurrency", "1"]);
        var afterCrash = (await EntriesAsync(target)).Count;
        var second = await CliRunner.RunAsync(_dir, [.. args, "--page-size", "100"]);

        Assert.That(first.ExitCode, Is.Not.Zero, "the first run was killed: " + first);
        Assert.That(afterCrash, Is.InRange(20, 1999), "killed mid-run, after at least one page");
        Assert.That(second.ExitCode, Is.Zero, second.ToString());
        Assert.That(second.Stdout, Does.Match(@"resumed from cursor \d+"));
        var entries = await EntriesAsync(target);
        Assert.That(entries.GroupBy(e => e.Id).Where(g => g.Count() > 1), Is.Empty, "no entry doubled");
        Assert.That(entries, Has.Count.EqualTo(2000), "no entry lost");
        Assert.That(entries, Is.EquivalentTo(await EntriesAsync(source)));
        Assert.That(await CursorAsync(target), Is.EqualTo(2000), "the resumed page's repeated upserts changed nothing on the target");
    }

    [Test]
    public async Task Memory_ReplicateFollow_PicksUpEntriesWrittenOnTheSourceAfterItStarted()
    {
        await using var source = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var target = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await SeedAsync(source, 50, "early");
        Task? writer = null;

        var result = await CliRunner.RunAsync(
            _dir,
            (process, line) =>
            {
                if (line.Contains("following", StringComparison.Ordinal) && writer is null)
                {
                    writer = Task.Run(async () =>
                    {
                        try
                        {
                            await RememberAsync(source, "u-7", "c-follow-1", "Please remember that my dog is called Rex");
                            await RememberAsync(source, "u-8", "c-follow-2", "Please remember that I prefer email");
                            await WaitUntilAsync(async () => (await EntriesAsync(target)).Count(e => e.ConversationId?.StartsWith("c-follow", StringComparison.Ordinal) == true) == 2);
                        }
                        finally
                        {
                            using var interrupt = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]);
                            await interrupt.WaitForExitAsync();
                        }
                    });
                }
            },
            "memory", "replicate", "--from", Url(source), "--to", Url(target), "--follow", "--poll-ms", "50", "--checkpoint", "follow.checkpoint");
        await writer!;

        Assert.That(result.ExitCode, Is.Zero, "Ctrl+C is how --follow stops: " + result);
        Assert.That(result.Stdout, Does.Contain("replicate: stopped: 52 entries applied"));
        var entries = await EntriesAsync(target);
        Assert.That(entries.Where(e => e.UserId == "u-7").Select(e => e.Text), Has.Some.Contains("Rex"));
        Assert.That(entries, Is.EquivalentTo(await EntriesAsync(source)));
    }

    [Test]
    public async Task Memory_Diff_ReportsMissingExtraAndChangedPerUser_ExitsOne()
    {
        await using var a = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var b = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        var t = DateTimeOffset.UtcNow;
        foreach (var stack in new[] { a, b })
        {
            await PutAsync(stack, "same", "u-1", "prefers email", t);
        }

        await PutAsync(a, "gone", "u-1", "dog is called Rex", t);
        await PutAsync(b, "added", "u-2", "ordered 4411", t);
        await PutAsync(a, "edited", "u-3", "prefers phone", t);
        await PutAsync(b, "edited", "u-3", "prefers email", t);

        var result = await CliRunner.RunAsync(_dir, "memory", "diff", Url(a), Url(b));

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        var lines = result.Stdout.Split('\n');
        Assert.That(lines, Has.Some.Match(@"^user\s+in A\s+in B\s+missing\s+extra\s+changed"));
        Assert.That(lines, Has.Some.Match(@"^u-1\s+2\s+1\s+1\s+0\s+0\s+missing: gone$"));
        Assert.That(lines, Has.Some.Match(@"^u-2\s+0\s+1\s+0\s+1\s+0\s+extra: added$"));
        Assert.That(lines, Has.Some.Match(@"^u-3\s+1\s+1\s+0\s+0\s+1\s+changed: edited$"));
        Assert.That(result.Stdout, Does.Contain("different: 1 missing on B, 1 extra on B, 1 changed"));
    }

    [Test]
    public async Task Memory_Merge_CopiesNewStackEntriesSinceT_ReportsConflictWithBothVersions_SecondMergeIsNoOp()
    {
        await using var old = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var @new = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2" });
        var since = DateTimeOffset.UtcNow.AddMinutes(-5);
        await PutAsync(@new, "before", "u-1", "written before the window", since.AddDays(-1));
        await RememberAsync(@new, "u-1", "c-new-1", "Please remember that my dog is called Rex");
        await PutAsync(@new, "won-by-new", "u-2", "address is 1 New Street", since.AddMinutes(2));
        await PutAsync(old, "won-by-new", "u-2", "address is 9 Old Road", since.AddMinutes(1));
        await PutAsync(@new, "kept-by-old", "u-3", "prefers phone", since.AddMinutes(1));
        await PutAsync(old, "kept-by-old", "u-3", "prefers email since yesterday", since.AddMinutes(3));
        string[] args = ["memory", "merge", "--from", Url(@new), "--into", Url(old), "--since", since.ToString("O", CultureInfo.InvariantCulture)];

        var first = await CliRunner.RunAsync(_dir, args);
        var afterFirst = await CursorAsync(old);
        var second = await CliRunner.RunAsync(_dir, args);

        Assert.That(first.ExitCode, Is.Zero, first.ToString());
        Assert.That(first.Stdout, Does.Contain("3 candidates; merged 1, unchanged 0, conflicts 2 (source won 1, target kept 1)"));
        Assert.That(first.Stdout, Does.Contain("conflict won-by-new: source won"));
        Assert.That(first.Stdout, Does.Contain("conflict kept-by-old: target kept"));
        Assert.That(first.Stdout, Does.Contain("\"address is 1 New Street\"").And.Contain("\"address is 9 Old Road\""), "both versions");
        Assert.That(first.Stdout, Does.Contain("\"prefers phone\"").And.Contain("\"prefers email since yesterday\""), "both versions");
        var entries = (await EntriesAsync(old)).ToDictionary(e => e.Id);
        Assert.That(entries.Values.Where(e => e.UserId == "u-1").Select(e => e.Text), Has.Some.Contains("Rex"));
        Assert.That(entries.ContainsKey("before"), Is.False, "created before --since");
        Assert.That(entries["won-by-new"].Text, Is.EqualTo("address is 1 New Street"));
        Assert.That(entries["kept-by-old"].Text, Is.EqualTo("prefers email since yesterday"));
        Assert.That(second.ExitCode, Is.Zero, second.ToString());
        Assert.That(second.Stdout, Does.Contain("merged 0, unchanged 2, conflicts 1 (source won 0, target kept 1)"));
        Assert.That(await CursorAsync(old), Is.EqualTo(afterFirst), "the second merge wrote nothing");
    }

    [Test]
    public async Task Memory_RestoreFileWithMalformedLine_NamesTheLineAndRestoresTheRest()
    {
        await using var target = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        File.WriteAllLines(Path.Combine(_dir, "bad.jsonl"),
        [
            """{"id":"m-a","userId":"u-1","text":"prefers email","createdAt":"2026-11-01T00:00:00Z"}""",
            """{"id":"m-b","userId":"u-1","text":"dog is called Rex"}""",
            """{"id":"m-c","userId":"u-2", "text": oops}""",
            """{"id":"m-d","userId":"u-2","text":"lives in Leeds"}""",
        ]);

        var result = await CliRunner.RunAsync(_dir, "memory", "restore", "--to", Url(target), "--in", "bad.jsonl");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("error: bad.jsonl: line 3: not a JSON memory entry"));
        Assert.That(result.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That((await EntriesAsync(target)).Select(e => e.Id), Is.EquivalentTo(new[] { "m-a", "m-b", "m-d" }));
    }

    [Test]
    public async Task Memory_TokenFromEnvironment_IsNeverPrinted()
    {
        await using var source = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await SeedAsync(source, 3, "tok");
        const string secret = "memory-token-s3cret";
        Environment.SetEnvironmentVariable("DUALSTACK_TEST_MEMORY_TOKEN", secret);
        try
        {
            var ok = await CliRunner.RunAsync(_dir, "memory", "snapshot", "--from", Url(source), "--out", "-", "--token-env", "DUALSTACK_TEST_MEMORY_TOKEN");
            var missing = await CliRunner.RunAsync(_dir, "memory", "snapshot", "--from", Url(source), "--out", "x.jsonl", "--token-env", "NO_SUCH_MEMORY_TOKEN_VAR");

            Assert.That(ok.ExitCode, Is.Zero, ok.ToString());
            Assert.That(ok.Stdout.Trim().Split('\n'), Has.Length.EqualTo(3), "'--out -' writes the entries to stdout");
            Assert.That(missing.ExitCode, Is.EqualTo(2), missing.ToString());
            Assert.That(missing.Stderr, Does.Contain("--token-env").And.Contain("NO_SUCH_MEMORY_TOKEN_VAR"));
            Assert.That(ok.Stdout + ok.Stderr + missing.Stdout + missing.Stderr, Does.Not.Contain(secret));
        }
        finally
        {
            Environment.SetEnvironmentVariable("DUALSTACK_TEST_MEMORY_TOKEN", null);
        }
    }

    [TestCase(1, "cannot reach http://127.0.0.1:9/", "memory", "replicate", "--from", "http://127.0.0.1:9", "--to", "http://127.0.0.1:9", "--follow")]
    [TestCase(1, "cannot reach http://127.0.0.1:9/", "memory", "diff", "http://127.0.0.1:9", "http://127.0.0.1:9")]
    [TestCase(2, "--since: 'yesterday' is not an ISO 8601 time", "memory", "merge", "--from", "http://127.0.0.1:9", "--into", "http://127.0.0.1:9", "--since", "yesterday")]
    [TestCase(2, "--from: 'old-stack' is not an absolute http(s) URL", "memory", "snapshot", "--from", "old-stack", "--out", "x.jsonl")]
    [TestCase(2, "--page-size: 0 must be from 1 to 10000", "memory", "replicate", "--from", "http://127.0.0.1:9", "--to", "http://127.0.0.1:9", "--page-size", "0")]
    [TestCase(2, "--in: cannot read 'nope.jsonl'", "memory", "restore", "--to", "http://127.0.0.1:9", "--in", "nope.jsonl")]
    public async Task Memory_BadInputOrUnreachableStack_OneLineAndDocumentedExitCode(int exitCode, string message, params string[] args)
    {
        var result = await CliRunner.RunAsync(_dir, args);

        Assert.That(result.ExitCode, Is.EqualTo(exitCode), result.ToString());
        Assert.That(result.Stderr, Does.StartWith("error: ").And.Contain(message));
        Assert.That(result.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), "one line, no stack trace");
    }

    [TestCase("memory", "--help")]
    [TestCase("memory", "replicate", "--help")]
    public async Task Memory_Help_DescribesAndExitsZero(params string[] args)
    {
        var result = await CliRunner.RunAsync(_dir, args);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.Contain("Usage:"));
    }

    private sealed record Entry(string Id, string? UserId, string? Text, string? ConversationId, DateTimeOffset? CreatedAt);

    private sealed record Page(List<Entry> Entries, string Cursor);

    private static string Url(SampleAgentServer server) => server.BaseAddress.AbsoluteUri;

    private static async Task<List<Entry>> EntriesAsync(SampleAgentServer server)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        return (await http.GetFromJsonAsync<Page>("v1/memory?limit=10000"))!.Entries;
    }

    private static async Task<long> CursorAsync(SampleAgentServer server)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        return long.Parse((await http.GetFromJsonAsync<Page>("v1/memory?limit=10000"))!.Cursor, CultureInfo.InvariantCulture);
    }

    private static async Task SeedAsync(SampleAgentServer server, int count, string prefix)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        await Parallel.ForEachAsync(Enumerable.Range(1, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var body = new { userId = "u-" + (i % 17), text = $"{prefix} fact {i}", conversationId = "c-" + (i % 41), createdAt = start.AddSeconds(i) };
            using var response = await http.PutAsJsonAsync($"v1/memory/{prefix}-{i}", body, ct);
            response.EnsureSuccessStatusCode();
        });
    }

    private static async Task PutAsync(SampleAgentServer server, string id, string userId, string text, DateTimeOffset createdAt)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.PutAsJsonAsync($"v1/memory/{id}", new { userId, text, conversationId = "c-" + id, createdAt });
        response.EnsureSuccessStatusCode();
    }

    private static async Task RememberAsync(SampleAgentServer server, string userId, string conversationId, string message)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.PostAsync($"v1/conversations/{conversationId}/turns", new StringContent(JsonSerializer.Serialize(new { userId, message }), Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }
    }
}
