using System.Text;
using DualStack.Core.Model;

namespace DualStack.Core.Tests.Model;

public sealed class AtomicFileTests
{
    private string _dir = string.Empty;

    [SetUp]
    public void CreateDir() => _dir = Directory.CreateTempSubdirectory("dualstack-atomic-").FullName;

    [TearDown]
    public void DeleteDir() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task WriteAsync_ManyWritersOfOneFile_EachWriteLandsWholeAndNoTempFileRemains()
    {
        var path = Path.Combine(_dir, "sub", "results.json");
        var contents = Enumerable.Range(0, 16).Select(i => new string((char)('a' + i), 20_000)).ToArray();

        await Task.WhenAll(contents.Select(c => Task.Run(() => AtomicFile.WriteAsync(path, Encoding.UTF8.GetBytes(c), CancellationToken.None))));

        Assert.That(contents, Does.Contain(await File.ReadAllTextAsync(path)));
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName), Is.EqualTo(new[] { "results.json" }));
    }

    [Test]
    public async Task WriteAsync_WriterFails_TargetUnchangedAndNoTempFile()
    {
        var path = Path.Combine(_dir, "checkpoint.json");
        await File.WriteAllTextAsync(path, "old");

        Assert.ThrowsAsync<InvalidOperationException>(() => AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            await stream.WriteAsync("half"u8.ToArray(), ct);
            throw new InvalidOperationException("boom");
        }, CancellationToken.None));

        Assert.That(await File.ReadAllTextAsync(path), Is.EqualTo("old"));
        Assert.That(Directory.GetFiles(_dir).Select(Path.GetFileName), Is.EqualTo(new[] { "checkpoint.json" }));
    }

    [Test]
    public void Write_Synchronous_ReplacesTheFile()
    {
        var path = Path.Combine(_dir, "executor.json");
        File.WriteAllText(path, "old");

        AtomicFile.Write(path, "new"u8);

        Assert.That(File.ReadAllText(path), Is.EqualTo("new"));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1));
    }
}
