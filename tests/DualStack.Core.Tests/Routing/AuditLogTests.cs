using DualStack.Core.Routing;
using DualStack.Core.Tests.Capture;

namespace DualStack.Core.Tests.Routing;

public sealed class AuditLogTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static AuditEntry Entry(int i, string action = AuditActions.Set) => new(T0.AddSeconds(i), "alice", action, i, i + 1, $"reason {i}");

    [Test]
    public void Append_ThenReadAll_ReturnsEntriesInOrderOneLineEach()
    {
        using var dir = new TempDirectory();
        var path = dir.File("audit/split.jsonl");
        using (var log = new AuditLog(path))
        {
            log.Append(Entry(1));
            log.Append(Entry(2, AuditActions.AutoRollback));

            // Flushed each time: readable while the log is still open.
            Assert.That(AuditLog.ReadAll(path), Is.EqualTo(new[] { Entry(1), Entry(2, AuditActions.AutoRollback) }));
        }

        var lines = File.ReadAllLines(path);
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[1], Does.Contain("\"action\":\"auto-rollback\""));
        Assert.That(lines[1], Does.StartWith("{").And.EndWith("}"));
    }

    [Test]
    public void Recent_MoreEntriesThanKept_ReturnsTheLatestOldestFirst()
    {
        using var dir = new TempDirectory();
        using var log = new AuditLog(dir.File("a.jsonl"), keepRecent: 5);
        for (var i = 0; i < 12; i++)
        {
            log.Append(Entry(i));
        }

        Assert.That(log.Recent(3), Is.EqualTo(new[] { Entry(9), Entry(10), Entry(11) }));
        Assert.That(log.Recent(100), Has.Count.EqualTo(5));
        Assert.That(log.Recent(0), Is.Empty);
    }

    [Test]
    public void Constructor_ExistingFile_AppendsAndPreloadsRecent()
    {
        using var dir = new TempDirectory();
        var path = dir.File("a.jsonl");
        using (var first = new AuditLog(path))
        {
            first.Append(Entry(1));
        }

        using var second = new AuditLog(path);
        second.Append(Entry(2));

        Assert.That(second.Recent(10), Is.EqualTo(new[] { Entry(1), Entry(2) }));
        Assert.That(AuditLog.ReadAll(path), Has.Count.EqualTo(2));
    }

    [Test]
    public void Append_FromManyThreads_EveryLineIsWholeJson()
    {
        using var dir = new TempDirectory();
        var path = dir.File("a.jsonl");
        using (var log = new AuditLog(path))
        {
            Parallel.For(0, 200, i => log.Append(Entry(i)));
        }

        Assert.That(AuditLog.ReadAll(path).Select(e => e.FromPercent).Order(), Is.EqualTo(Enumerable.Range(0, 200).Select(i => (double)i)));
    }

    [Test]
    public void ReadAll_MalformedLine_NamesFileAndLine()
    {
        using var dir = new TempDirectory();
        var path = dir.File("a.jsonl");
        File.WriteAllText(path, "{\"at\":\"2026-12-01T09:00:00+00:00\",\"who\":\"a\",\"action\":\"set\",\"fromPercent\":0,\"toPercent\":5,\"reason\":\"\"}\n\n{broken\n");

        var ex = Assert.Throws<InvalidDataException>(() => AuditLog.ReadAll(path));

        Assert.That(ex!.Message, Does.StartWith($"{path}: line 3: "));
    }

    [Test]
    public void ReadAll_NoFile_ReturnsEmpty()
    {
        Assert.That(AuditLog.ReadAll(Path.Combine(Path.GetTempPath(), "does-not-exist-" + Guid.NewGuid().ToString("N"))), Is.Empty);
    }

    [Test]
    public void Append_AttachedToSplitState_RecordsEveryChange()
    {
        using var dir = new TempDirectory();
        using var log = new AuditLog(dir.File("a.jsonl"));
        var state = new SplitState(new SplitOptions(), SplitStateTests.Clock());
        state.Changed += (_, entry) => log.Append(entry);

        state.SetPercent(5, "alice", "start");
        state.Rollback("bob", "errors");

        Assert.That(AuditLog.ReadAll(log.Path).Select(e => (e.Who, e.Action, e.ToPercent)), Is.EqualTo(new[] { ("alice", "set", 5.0), ("bob", "rollback", 0.0) }));
    }
}
