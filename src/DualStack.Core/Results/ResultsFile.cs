using System.Text.Json;
using DualStack.Core.Model;

namespace DualStack.Core.Results;

/// <summary>Reads and writes <c>results.json</c>, the machine-readable run result every report renders.</summary>
public static class ResultsFile
{
    /// <summary>File name inside a run folder.</summary>
    public const string FileName = "results.json";

    /// <summary>Writes the result to <c>&lt;directory&gt;/results.json</c> atomically (<see cref="AtomicFile"/>) and returns the path.</summary>
    public static async Task<string> WriteAsync(RunResult result, string directory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, FileName);
        await AtomicFile.WriteAsync(path, (stream, ct) => JsonSerializer.SerializeAsync(stream, result, DualStackJson.Indented, ct), cancellationToken).ConfigureAwait(false);
        return path;
    }

    /// <summary>Reads a result written by <see cref="WriteAsync"/>; throws <see cref="InvalidDataException"/> naming the file when it is not one.</summary>
    public static async Task<RunResult> ReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync<RunResult>(stream, DualStackJson.Options, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidDataException($"{path}: empty results file");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not a DualStack results file: {ex.Message}", ex);
        }
    }
}
