using DualStack.Core.Stacks.OpenClaw;

namespace DualStack.Core.Tests.Stacks.OpenClaw;

public sealed class WorkspaceMemoryTests
{
    private string _workspace = null!;

    [SetUp]
    public void CreateWorkspace()
    {
        _workspace = Path.Combine(Path.GetTempPath(), "dualstack-openclaw-ws-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_workspace);
    }

    [TearDown]
    public void DeleteWorkspace() => Directory.Delete(_workspace, recursive: true);

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_workspace, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Test]
    public async Task Written_LinesAddedToMemoryFiles_ReportedPerFileAndOtherFilesIgnored()
    {
        Write("MEMORY.md", "# Memory\n\n- prefers email\n");
        Write("USER.md", "# User\n");
        var before = await WorkspaceMemory.SnapshotAsync(_workspace, TimeProvider.System, CancellationToken.None);
        Write("MEMORY.md", "# Memory\n\n- prefers email\n- lives in Leeds\n\n");
        Write("memory/2026-11-30.md", "- asked about order 4411\n");
        Write("USER.md", "# User\n- name: Ada\n");
        var after = await WorkspaceMemory.SnapshotAsync(_workspace, TimeProvider.System, CancellationToken.None);

        var written = WorkspaceMemory.Written(before, after);

        Assert.That(written.Select(w => (w.Id, w.Text)), Is.EqualTo(new[] { ("MEMORY.md", "- lives in Leeds"), ("memory/2026-11-30.md", "- asked about order 4411") }));
    }

    [Test]
    public async Task Written_SameLineAddedAgain_CountsTheSecondCopy()
    {
        Write("memory/notes.md", "- teal\n");
        var before = await WorkspaceMemory.SnapshotAsync(_workspace, TimeProvider.System, CancellationToken.None);
        Write("memory/notes.md", "- teal\n- teal\n");

        var written = WorkspaceMemory.Written(before, await WorkspaceMemory.SnapshotAsync(_workspace, TimeProvider.System, CancellationToken.None));

        Assert.That(written.Select(w => w.Text), Is.EqualTo(new[] { "- teal" }));
    }

    [Test]
    public async Task Written_NothingChanged_Empty()
    {
        Write("MEMORY.md", "- prefers email\n");
        var before = await WorkspaceMemory.SnapshotAsync(_workspace, TimeProvider.System, CancellationToken.None);

        var written = WorkspaceMemory.Written(before, await WorkspaceMemory.SnapshotAsync(_workspace, TimeProvider.System, CancellationToken.None));

        Assert.That(written, Is.Empty);
        Assert.That(before.FileCount, Is.EqualTo(1));
    }
}
