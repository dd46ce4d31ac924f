using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DualStack.Core.Model;

namespace DualStack.Core.Reports;

/// <summary>
/// Writes an <c>allure-results/</c> folder in the Allure 2 results format (which Allure 3 renders): results,
/// attachments, <c>environment.properties</c>, <c>executor.json</c>, <c>categories.json</c>. The one writer behind both
/// CLI runs and the NUnit integration. Thread-safe: every call writes its own files.
/// </summary>
public sealed class AllureWriter
{
    private static readonly JsonSerializerOptions Json = new(DualStackJson.Indented) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Categories shown on Allure's Categories tab.</summary>
    public static IReadOnlyList<AllureCategory> Categories { get; } =
    [
        new AllureCategory { Name = "Regression", MatchedStatuses = [AllureStatus.Failed] },
        new AllureCategory { Name = "Stack error", MatchedStatuses = [AllureStatus.Broken] },
        new AllureCategory { Name = "Not observed", MatchedStatuses = [AllureStatus.Unknown] },
        new AllureCategory { Name = "Noise", MatchedStatuses = [AllureStatus.Passed], MessageRegex = "(?s).*noise.*" },
    ];

    /// <summary>Creates a writer for <paramref name="resultsDirectory"/> (created when missing).</summary>
    public AllureWriter(string resultsDirectory)
    {
        ResultsDirectory = Path.GetFullPath(resultsDirectory);
        Directory.CreateDirectory(ResultsDirectory);
    }

    /// <summary>Absolute path of the results folder.</summary>
    public string ResultsDirectory { get; }

    /// <summary>A new result uuid.</summary>
    public static string NewUuid() => Guid.NewGuid().ToString();

    /// <summary>A stable id (MD5 hex, as Allure's own adapters use) of a test's identity, so history links across runs.</summary>
    public static string StableId(string identity) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(identity)));

    /// <summary>Milliseconds since the Unix epoch, the unit of Allure's start/stop.</summary>
    public static long Millis(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    /// <summary>Writes <c>&lt;uuid&gt;-result.json</c>.</summary>
    public void WriteResult(AllureResult result) => WriteAtomically($"{result.Uuid}-result.json", JsonSerializer.SerializeToUtf8Bytes(result, Json));

    /// <summary>Writes an attachment file and returns the reference to put in a result or step.</summary>
    public AllureAttachment AddAttachment(string name, string mimeType, string extension, string content) =>
        AddAttachment(name, mimeType, extension, Encoding.UTF8.GetBytes(content));

    /// <summary>Writes an attachment file and returns the reference to put in a result or step.</summary>
    public AllureAttachment AddAttachment(string name, string mimeType, string extension, byte[] content)
    {
        var source = $"{NewUuid()}-attachment.{extension.TrimStart('.')}";
        WriteAtomically(source, content);
        return new AllureAttachment(name, source, mimeType);
    }

    /// <summary>Writes <c>environment.properties</c> (keys and values escaped as Java properties).</summary>
    public void WriteEnvironment(IReadOnlyDictionary<string, string> properties)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(Escape(key, isKey: true)).Append('=').Append(Escape(value, isKey: false)).Append('\n');
        }

        WriteAtomically("environment.properties", Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>Writes <c>executor.json</c>.</summary>
    public void WriteExecutor(AllureExecutor executor) => WriteAtomically("executor.json", JsonSerializer.SerializeToUtf8Bytes(executor, Json));

    /// <summary>Writes <c>categories.json</c> (Regression / Stack error / Not observed / Noise).</summary>
    public void WriteCategories() => WriteAtomically("categories.json", JsonSerializer.SerializeToUtf8Bytes(Categories, Json));

    private void WriteAtomically(string fileName, byte[] content) => AtomicFile.Write(Path.Combine(ResultsDirectory, fileName), content);

    private static string Escape(string text, bool isKey)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\': builder.Append(@"\\"); break;
                case '\n': builder.Append(@"\n"); break;
                case '\r': builder.Append(@"\r"); break;
                case '\t': builder.Append(@"\t"); break;
                case '=' or ':' or ' ' when isKey: builder.Append('\\').Append(c); break;
                case '#' or '!' when builder.Length == 0: builder.Append('\\').Append(c); break;
                default: builder.Append(c); break;
            }
        }

        return builder.ToString();
    }
}
