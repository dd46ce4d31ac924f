using System.Globalization;
using System.Text;
using System.Text.Json;
using DualStack.Core.Memory;
using DualStack.Core.Tests.Support;
using DualStack.TestUtils;

namespace DualStack.Core.Tests.Memory;

public sealed class MemorySyncTests
{
    private static readonly DateTimeOffset Nov = new(2026, 11, 15, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Since = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private string _dir = null!;

    [SetUp]
    public void CreateDir() => _dir = Directory.CreateTempSubdirectory("memsync-").FullName;

    [TearDown]
    public void DeleteDir() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task Snapshot_2000EntriesPagedBy100_WritesEveryEntryOnceInWriteOrder()
    {
        await using var server = await FakeMemoryServer.StartAsync();
        Seed(server, 2000);
        using var client = server.Client();
        var writer = new StringWriter();
        var reports = new List<MemorySyncProgress>();

        var count = await new MemorySync(new MemorySyncOptions { PageSize = 100 }).SnapshotAsync(client, writer, new ListProgress(reports), CancellationToken.None);

        var ids = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()).ToArray();
        Assert.That(count, Is.EqualTo(2000));
        Assert.That(ids, Is.EqualTo(Enumerable.Range(1, 2000).Select(Id).ToArray()));
        Assert.That(server.GetSinces, Has.Count.EqualTo(21), "20 full pages and one empty page that ends the feed");
        Assert.That(reports, Has.Count.EqualTo(20));
        Assert.That(reports[^1].Cursor, Is.EqualTo("2000"));
    }

    [Test]
    public async Task Restore_SnapshotIntoEmptyStack_DiffIsIdenticalAndASecondRestoreWritesNothing()
    {
        await using var source = await FakeMemoryServer.StartAsync();
        await using var target = await FakeMemoryServer.StartAsync();
        Seed(source, 250);
        source.Write(Id(7), "u-1", "changed later", "c-9", Since);
        using var a = source.Client();
        using var b = target.Client();
        var sync = new MemorySync(new MemorySyncOptions { PageSize = 100 });
        var file = new StringWriter();
        await sync.SnapshotAsync(a, file, null, CancellationToken.None);

        var first = await sync.RestoreAsync(b, new StringReader(file.ToString()), null, CancellationToken.None);
        var writes = target.Sequence;
        var second = await sync.RestoreAsync(b, new StringReader(file.ToString()), null, CancellationToken.None);
        var diff = await sync.DiffAsync(a, b, CancellationToken.None);

        Assert.That((first.Lines, first.Applied, first.Rejected), Is.EqualTo((250L, 250L, 0L)));
        Assert.That(second.Rejected, Is.Zero);
        Assert.That(target.Sequence, Is.EqualTo(writes), "restoring the same file again is a no-op");
        Assert.That(diff.Identical, Is.True, () => string.Join("; ", diff.Users));
        Assert.That(target.Entries()[Id(7)], Is.EqualTo(source.Entries()[Id(7)]), "createdAt and conversation travel too");
    }

    [Test]
    public async Task Restore_MalformedLines_NamesEachLineAndRestoresEveryOtherLine()
    {
        await using var target = await FakeMemoryServer.StartAsync();
        using var client = target.Client();
        var jsonl = string.Join('\n',
            """{"id":"m-1","userId":"u-1","text":"prefers email"}""",
            "this is not json",
            """{"id":"m-2","userId":"u-1","text":"dog is called Rex","conversationId":"c-2"}""",
            """{"id":"m-3"}""",
            string.Empty,
            """{"id":"m-4","userId":"u-2","text":"lives in Leeds"}""");

        var result = await new MemorySync().RestoreAsync(client, new StringReader(jsonl), null, CancellationToken.None);

        Assert.That(result.Applied, Is.EqualTo(3));
        Assert.That(result.Rejected, Is.EqualTo(2));
        Assert.That(result.Errors, Has.Count.EqualTo(2));
        Assert.That(result.Errors[0], Does.StartWith("line 2: not a JSON memory entry"));
        Assert.That(result.Errors[1], Is.EqualTo("line 4: 'userId', 'text' missing or empty"));
        Assert.That(target.Entries().Keys, Is.EquivalentTo(new[] { "m-1", "m-2", "m-4" }));
    }

    [Test]
    public async Task Replicate_CancelledMidPage_RestartResumesFromCheckpointWithoutLossOrDuplicates()
    {
        await using var source = await FakeMemoryServer.StartAsync();
        await using var target = await FakeMemoryServer.StartAsync();
        Seed(source, 1000);
        using var from = source.Client();
        using var to = target.Client();
        var checkpoint = Path.Combine(_dir, "replicate.checkpoint");
        var sync = new MemorySync(new MemorySyncOptions { PageSize = 100 });
        using var crash = new CancellationTokenSource();
        target.OnPut = (n, _) =>
        {
            if (n == 250)
            {
                crash.Cancel();
            }
        };

        var first = await sync.ReplicateAsync(from, to, checkpoint, follow: false, TimeSpan.FromMilliseconds(50), null, crash.Token);
        var saved = JsonDocument.Parse(File.ReadAllText(checkpoint)).RootElement;
        target.OnPut = null;
        var sinces = source.GetSinces.Count;
        var second = await sync.ReplicateAsync(from, to, checkpoint, follow: false, TimeSpan.FromMilliseconds(50), null, CancellationToken.None);

        Assert.That(first.Interrupted, Is.True);
        Assert.That(first.Pages, Is.EqualTo(2), "page 3 was in flight when the run was cancelled");
        Assert.That(saved.GetProperty("cursor").GetString(), Is.EqualTo("200"), "the checkpoint holds the last fully applied page");
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(checkpoint)!, "*.tmp"), Is.Empty);
        Assert.That(second.ResumedFrom, Is.EqualTo("200"));
        Assert.That(source.GetSinces.Skip(sinces).Where(s => s.Length > 0).First(), Is.EqualTo("200"), "the restart reads after the checkpoint");
        Assert.That(second.Interrupted, Is.False);
        Assert.That(second.Cursor, Is.EqualTo("1000"));
        Assert.That(target.Entries(), Is.EquivalentTo(source.Entries()), "nothing lost");
        Assert.That(target.Entries(), Has.Count.EqualTo(1000), "nothing doubled");
        var repeated = target.PutsById.Where(p => p.Value > 1).Select(p => int.Parse(p.Key[2..], CultureInfo.InvariantCulture)).ToArray();
        Assert.That(repeated, Is.All.InRange(201, 300), "only the page in flight is upserted again, idempotently");
        Assert.That(target.Sequence, Is.EqualTo(1000), "the repeated upserts changed nothing");
    }

    [Test]
    public async Task Replicate_CheckpointOfAnotherPair_IsRefusedBeforeAnyWork()
    {
        await using var source = await FakeMemoryServer.StartAsync();
        await using var target = await FakeMemoryServer.StartAsync();
        Seed(source, 10);
        using var from = source.Client();
        using var to = target.Client();
        var checkpoint = Path.Combine(_dir, "other.checkpoint");
        File.WriteAllText(checkpoint, """{ "version": 1, "source": "http://10.0.0.1:8080/", "target": "http://10.0.0.2:8080/", "cursor": "5" }""");

        var error = Assert.ThrowsAsync<InvalidDataException>(() => new MemorySync().ReplicateAsync(from, to, checkpoint, false, TimeSpan.FromSeconds(1), null, CancellationToken.None));

        Assert.That(error!.Message, Does.Contain("http://10.0.0.1:8080/").And.Contain("delete"));
        Assert.That(target.Puts, Is.Zero);
    }

    [Test]
    public async Task Replicate_Follow_PicksUpLaterWritesAndRetriesATransientFailure()
    {
        await using var source = await FakeMemoryServer.StartAsync();
        await using var target = await FakeMemoryServer.StartAsync();
        Seed(source, 30);
        using var from = source.Client();
        using var to = target.Client();
        var reports = new List<MemorySyncProgress>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var sync = new MemorySync(new MemorySyncOptions { PageSize = 10, MaxRetryDelay = TimeSpan.FromMilliseconds(100) });

        var run = sync.ReplicateAsync(from, to, Path.Combine(_dir, "follow.checkpoint"), follow: true, TimeSpan.FromMilliseconds(20), new ListProgress(reports), stop.Token);
        await WaitUntil(() => target.Entries().Count == 30);
        target.FailNextPuts(2);
        source.Write("late-1", "u-9", "Please remember that my dog is called Rex", "c-late");
        source.Write(Id(3), "u-3", "edited on the source");
        await WaitUntil(() => target.Entries().ContainsKey("late-1") && target.Entries()[Id(3)].Text == "edited on the source");
        // Stop only once the follower has polled again and found nothing new, so "caught up" was reported.
        await WaitUntil(() =>
        {
            lock (reports)
            {
                return reports.Count > 0 && reports[^1].CaughtUp && reports[^1].Cursor == "32";
            }
        });
        await stop.CancelAsync();
        var result = await run;

        Assert.That(result.Interrupted, Is.True);
        Assert.That(result.Cursor, Is.EqualTo("32"));
        Assert.That(target.Entries(), Is.EquivalentTo(source.Entries()));
        Assert.That(reports.Any(r => r.LastError?.Contains("answered 503", StringComparison.Ordinal) == true), Is.True, "the failure was reported and retried");
        Assert.That(reports.Any(r => r.CaughtUp), Is.True);
        Assert.That(reports.Any(r => r.Lag > 0), Is.True, "lag shows the page in flight");
    }

    [Test]
    public async Task Replicate_TargetRefusesAnEntry_StopsBeforeThatPageAndKeepsTheCheckpoint()
    {
        await using var source = await FakeMemoryServer.StartAsync();
        await using var target = await FakeMemoryServer.StartAsync();
        Seed(source, 20);
        source.Write("broken", "u-1", " ");
        using var from = source.Client();
        using var to = target.Client();
        var checkpoint = Path.Combine(_dir, "refused.checkpoint");

        var error = Assert.ThrowsAsync<MemorySyncException>(() => new MemorySync(new MemorySyncOptions { PageSize = 10 }).ReplicateAsync(from, to, checkpoint, follow: true, TimeSpan.FromMilliseconds(10), null, CancellationToken.None));

        Assert.That(error!.Message, Does.Contain("PUT /v1/memory/broken answered 400").And.Contain("cursor '20'"));
        Assert.That(JsonDocument.Parse(File.ReadAllText(checkpoint)).RootElement.GetProperty("cursor").GetString(), Is.EqualTo("20"));
    }

    [Test]
    public void Replicate_UnreachableSource_FailsFastWithOneLineNamingTheStack()
    {
        using var closedFrom = new ClosedPort();
        using var closedTo = new ClosedPort();
        using var from = MemoryClient.Create(closedFrom.Url.AbsoluteUri);
        using var to = MemoryClient.Create(closedTo.Url.AbsoluteUri);

        var error = Assert.ThrowsAsync<MemorySyncException>(() => new MemorySync().ReplicateAsync(from, to, null, follow: true, TimeSpan.FromMilliseconds(10), null, CancellationToken.None));

        Assert.That(error!.Message, Does.StartWith("cannot reach http://127.0.0.1:"));
        Assert.That(error.Message, Does.Not.Contain('\n'));
    }

    [Test]
    public async Task Diff_MissingExtraAndChanged_AreReportedPerUser()
    {
        await using var old = await FakeMemoryServer.StartAsync();
        await using var @new = await FakeMemoryServer.StartAsync();
        foreach (var server in new[] { old, @new })
        {
            server.Write("same-1", "u-1", "prefers email");
            server.Write("same-2", "u-3", "lives in Leeds");
        }

        old.Write("gone", "u-1", "dog is called Rex");
        old.Write("edit", "u-2", "prefers phone");
        @new.Write("edit", "u-2", "prefers email");
        old.Write("moved", "u-2", "vip");
        @new.Write("moved", "u-4", "vip");
        @new.Write("added", "u-1", "ordered 4411");
        old.Write("when", "u-3", "same text", createdAt: Nov);
        @new.Write("when", "u-3", "same text", createdAt: Since);
        using var a = old.Client();
        using var b = @new.Client();

        var diff = await new MemorySync().DiffAsync(a, b, CancellationToken.None);

        Assert.That(diff.Identical, Is.False);
        Assert.That((diff.EntriesA, diff.EntriesB, diff.IdenticalUsers), Is.EqualTo((6L, 6L, 1)));
        Assert.That(diff.Users.Select(u => u.UserId), Is.EqualTo(new[] { "u-1", "u-2", "u-4" }));
        var u1 = diff.Users[0];
        Assert.That((u1.CountA, u1.CountB, u1.Missing, u1.Extra, u1.Changed), Is.EqualTo((2, 2, new[] { "gone" }, new[] { "added" }, Array.Empty<string>())));
        Assert.That(diff.Users[1].Changed, Is.EqualTo(new[] { "edit", "moved" }), "text changed; user changed");
        Assert.That((diff.Users[2].CountA, diff.Users[2].CountB, diff.Users[2].Changed), Is.EqualTo((0, 1, new[] { "moved" })), "the user it moved to differs too");
        Assert.That((diff.Missing, diff.Extra, diff.Changed), Is.EqualTo((1L, 1L, 2L)));
    }

    [Test]
    public async Task Merge_SinceT_CopiesNewEntriesResolvesConflictsByRuleAndASecondMergeWritesNothing()
    {
        await using var @new = await FakeMemoryServer.StartAsync();
        await using var old = await FakeMemoryServer.StartAsync();
        var d2 = Since.AddDays(1);
        @new.Write("n-1", "u-1", "Please remember that I prefer email", "c-1", d2);
        @new.Write("n-old", "u-2", "before the window", "c-2", Nov);
        @new.Write("s-1", "u-1", "same on both", "c-3", d2);
        old.Write("s-1", "u-1", "same on both", "c-3", Nov);
        @new.Write("c-src", "u-3", "new text", "c-4", d2.AddHours(1));
        old.Write("c-src", "u-3", "old text", "c-4", d2);
        @new.Write("c-tie", "u-3", "new tie", "c-5", d2);
        old.Write("c-tie", "u-3", "old tie", "c-5", d2);
        @new.Write("c-tgt", "u-4", "new but stale", "c-6", d2);
        old.Write("c-tgt", "u-4", "old and newer", "c-6", d2.AddDays(2));
        using var from = @new.Client();
        using var into = old.Client();
        var sync = new MemorySync();

        var first = await sync.MergeAsync(from, into, Since, CancellationToken.None);
        var writes = old.Sequence;
        var second = await sync.MergeAsync(from, into, Since, CancellationToken.None);

        Assert.That((first.Candidates, first.Merged, first.Unchanged, first.Deferred, first.Written), Is.EqualTo((5L, 1L, 1L, 0L, 3L)));
        Assert.That(first.Conflicts.Select(c => (c.Id, c.Resolution)), Is.EqualTo(new[]
        {
            ("c-src", MergeResolution.SourceWon),
            ("c-tgt", MergeResolution.TargetKept),
            ("c-tie", MergeResolution.SourceWon),
        }));
        var tgt = first.Conflicts[1];
        Assert.That((tgt.Source.Text, tgt.Target.Text), Is.EqualTo(("new but stale", "old and newer")), "both versions are reported");
        var entries = old.Entries();
        Assert.That(entries["n-1"].Text, Is.EqualTo("Please remember that I prefer email"));
        Assert.That(entries.ContainsKey("n-old"), Is.False, "created before --since");
        Assert.That((entries["c-src"].Text, entries["c-tie"].Text, entries["c-tgt"].Text), Is.EqualTo(("new text", "new tie", "old and newer")));
        Assert.That((second.Merged, second.Unchanged, second.Written), Is.EqualTo((0L, 4L, 0L)));
        Assert.That(second.Conflicts.Select(c => c.Id), Is.EqualTo(new[] { "c-tgt" }), "the target's newer version is kept again");
        Assert.That(old.Sequence, Is.EqualTo(writes), "the second merge wrote nothing");
    }

    [Test]
    public async Task Client_TokenFromEnvironment_IsSentAndNeverInMessages()
    {
        await using var server = await FakeMemoryServer.StartAsync();
        server.RequiredToken = "s3cret-memory-token";
        server.Write("m-1", "u-1", "prefers email");
        using var authorized = MemoryClient.Create(server.BaseAddress.AbsoluteUri, "MEM_TOKEN", name => name == "MEM_TOKEN" ? "s3cret-memory-token" : null);
        using var anonymous = MemoryClient.Create(server.BaseAddress.AbsoluteUri);

        var count = await new MemorySync().SnapshotAsync(authorized, new StringWriter(), null, CancellationToken.None);
        var error = Assert.ThrowsAsync<MemorySyncException>(() => new MemorySync().SnapshotAsync(anonymous, new StringWriter(), null, CancellationToken.None));
        var missing = Assert.Throws<ArgumentException>(() => MemoryClient.Create(server.BaseAddress.AbsoluteUri, "NO_SUCH_VAR", _ => null));

        Assert.That(count, Is.EqualTo(1));
        Assert.That(error!.Message, Does.Contain("answered 401").And.Not.Contain("s3cret"));
        Assert.That(error.Transient, Is.False);
        Assert.That(missing!.Message, Does.Contain("NO_SUCH_VAR"));
    }

    private static string Id(int i) => "m-" + i.ToString(CultureInfo.InvariantCulture);

    private static void Seed(FakeMemoryServer server, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            server.Write(Id(i), "u-" + (i % 7).ToString(CultureInfo.InvariantCulture), "fact number " + i.ToString(CultureInfo.InvariantCulture), "c-" + (i % 13).ToString(CultureInfo.InvariantCulture), Nov.AddMinutes(i));
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 400 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.That(condition(), Is.True, "timed out waiting");
    }

    private sealed class ListProgress(List<MemorySyncProgress> reports) : IProgress<MemorySyncProgress>
    {
        public void Report(MemorySyncProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
