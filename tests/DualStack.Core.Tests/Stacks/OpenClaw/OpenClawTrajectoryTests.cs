using System.Security.Cryptography;
using DualStack.Core.Stacks.OpenClaw;
using Microsoft.Data.Sqlite;

namespace DualStack.Core.Tests.Stacks.OpenClaw;

public sealed class OpenClawTrajectoryTests
{
    private string _state = null!;

    [SetUp]
    public void CreateState()
    {
        _state = Path.Combine(Path.GetTempPath(), "dualstack-openclaw-state-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_state);
    }

    [TearDown]
    public void DeleteState()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_state, recursive: true);
    }

    private static Task<TrajectoryRead> ReadAsync(string db, string run, double waitSeconds = 2) =>
        OpenClawTrajectory.ReadSkillCallsAsync(db, run, TimeSpan.FromSeconds(waitSeconds), TimeProvider.System, CancellationToken.None);

    [Test]
    public async Task ReadSkillCallsAsync_RealToolCallWrapperRun_ReportsTheNestedMemorySearch()
    {
        var db = OpenClawStore.Create(_state);

        var read = await ReadAsync(db, OpenClawStore.MemorySearchRun);

        Assert.That(read.NotObservedReason, Is.Null);
        Assert.That(read.Calls!.Select(c => c.Name), Is.EqualTo(new[] { "memory_search" }));
        Assert.That(read.Calls![0].Arguments!.Value.GetProperty("query").GetString(), Is.EqualTo("order 4411"));
        Assert.That(read.Calls![0].Status, Is.EqualTo("ok"));
    }

    [Test]
    public async Task ReadSkillCallsAsync_RealWriteRun_ReportsWriteWithItsArguments()
    {
        var db = OpenClawStore.Create(_state);

        var read = await ReadAsync(db, OpenClawStore.WriteRun);

        Assert.That(read.Calls!.Select(c => c.Name), Is.EqualTo(new[] { "write" }));
        Assert.That(read.Calls![0].Arguments!.Value.GetProperty("path").GetString(), Is.EqualTo("memory/notes-x.md"));
        Assert.That(read.Calls![0].Status, Is.EqualTo("ok"));
    }

    [Test]
    public async Task ReadSkillCallsAsync_UnknownRun_NotObservedWithReason()
    {
        var db = OpenClawStore.Create(_state);

        var read = await ReadAsync(db, "chatcmpl_unknown", waitSeconds: 0.3);

        Assert.That(read.Calls, Is.Null);
        Assert.That(read.NotObservedReason, Does.Contain("no trajectory events for run 'chatcmpl_unknown'"));
    }

    [Test]
    public async Task ReadSkillCallsAsync_MissingDatabase_NotObservedNamingThePath()
    {
        var db = Path.Combine(_state, "agents", "main", "agent", "openclaw-agent.sqlite");

        var read = await ReadAsync(db, OpenClawStore.MemorySearchRun, waitSeconds: 0.3);

        Assert.That(read.Calls, Is.Null);
        Assert.That(read.NotObservedReason, Does.Contain(db).And.Contain("does not exist"));
        Assert.That(File.Exists(db), Is.False, "the reader must not create the store");
    }

    [Test]
    public async Task ReadSkillCallsAsync_RunWithoutItsEnd_NotObservedAsIncomplete()
    {
        var db = OpenClawStore.Create(_state, include: row => !OpenClawStore.IsEnd(row));

        var read = await ReadAsync(db, OpenClawStore.MemorySearchRun, waitSeconds: 0.5);

        Assert.That(read.Calls, Is.Null);
        Assert.That(read.NotObservedReason, Does.Contain("incomplete"));
    }

    [Test]
    public async Task ReadSkillCallsAsync_EndStoredLater_WaitsAndReportsTheCalls()
    {
        var db = OpenClawStore.Create(_state, include: row => !OpenClawStore.IsEnd(row));
        var end = OpenClawStore.Events().Single(r => OpenClawStore.IsEnd(r) && r["run_id"]!.GetValue<string>() == OpenClawStore.MemorySearchRun);

        var reading = ReadAsync(db, OpenClawStore.MemorySearchRun, waitSeconds: 10);
        await Task.Delay(600);
        using (var writer = OpenClawStore.Open(db))
        {
            OpenClawStore.Insert(writer, end);
        }

        var read = await reading;
        Assert.That(read.Calls!.Select(c => c.Name), Is.EqualTo(new[] { "memory_search" }), read.NotObservedReason);
    }

    [Test]
    public async Task ReadSkillCallsAsync_DatabaseLockedExclusively_RetriesUntilReleased()
    {
        var db = OpenClawStore.Create(_state);
        var writer = OpenClawStore.Open(db);
        using (var command = writer.CreateCommand())
        {
            // An exclusive lock on a WAL database keeps every other connection out (SQLITE_BUSY) until it is released.
            command.CommandText = "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE trajectory_runtime_events SET created_at = created_at WHERE 0;";
            command.ExecuteNonQuery();
        }

        var reading = ReadAsync(db, OpenClawStore.MemorySearchRun, waitSeconds: 20);
        await Task.Delay(1500);
        Assert.That(reading.IsCompleted, Is.False, "the reader should still be waiting for the lock");
        writer.Dispose();

        var read = await reading;
        Assert.That(read.Calls!.Select(c => c.Name), Is.EqualTo(new[] { "memory_search" }), read.NotObservedReason);
    }

    [Test]
    public async Task ReadSkillCallsAsync_Read_LeavesTheDatabaseByteForByteUnchangedAndLogsNothing()
    {
        var db = OpenClawStore.Create(_state);
        var before = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(db)));

        await ReadAsync(db, OpenClawStore.MemorySearchRun);
        await ReadAsync(db, "chatcmpl_unknown", waitSeconds: 0.3);

        Assert.That(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(db))), Is.EqualTo(before));
        // SQLite needs the -shm/-wal side files to read a WAL database (a running gateway has them open anyway); the
        // reader must never put a page into the log.
        var wal = db + "-wal";
        Assert.That(File.Exists(wal) ? new FileInfo(wal).Length : 0, Is.Zero);
    }

    [Test]
    public void ToSkillCalls_WrapperThatRanNothing_ReportsTheRequestedToolAsError()
    {
        var events = new[]
        {
            OpenClawTrajectory.Parse("""{"type":"tool.call","data":{"toolCallId":"call_9","name":"tool_call","args":{"id":"crm_lookup","args":{"customer":"c-1"}}}}""")!,
            OpenClawTrajectory.Parse("""{"type":"tool.result","data":{"toolCallId":"call_9","name":"tool_call","success":false}}""")!,
            OpenClawTrajectory.Parse("""{"type":"tool.call","data":{"toolCallId":"call_10","name":"tool_search","args":{"query":"crm"}}}""")!,
        };

        var calls = OpenClawTrajectory.ToSkillCalls(events);

        Assert.That(calls.Select(c => (c.Name, c.Status)), Is.EqualTo(new[] { ("crm_lookup", (string?)"error"), ("tool_search", (string?)null) }));
        Assert.That(calls[0].Arguments!.Value.GetProperty("customer").GetString(), Is.EqualTo("c-1"));
    }

    [Test]
    public void Parse_BrokenJson_IsSkipped()
    {
        Assert.That(OpenClawTrajectory.Parse("{not json"), Is.Null);
    }
}
