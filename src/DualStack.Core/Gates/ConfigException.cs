using System.Text.Json;
using System.Text.RegularExpressions;
using DualStack.Core.Model;

namespace DualStack.Core.Gates;

/// <summary>
/// Raised when a gate, ramp or cutover configuration (or an admin token) cannot be used; <see cref="Errors"/> holds every
/// problem found, each naming the file, field and bad value. Hosts map it to exit code 2.
/// </summary>
public sealed class ConfigException(IReadOnlyList<string> errors) : Exception(string.Join(Environment.NewLine, errors))
{
    /// <summary>All problems found.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>Reads JSON config files with <see cref="DualStackJson.Options"/>, turning parse errors into messages with line numbers.</summary>
internal static partial class ConfigFile
{
    /// <summary>How a file is named in messages: relative to the working directory when below it, else absolute.</summary>
    public static string Display(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, Path.GetFullPath(path));
        return relative.StartsWith("..", StringComparison.Ordinal) ? Path.GetFullPath(path) : relative;
    }

    /// <summary>Deserializes <paramref name="path"/>; on failure adds one message to <paramref name="errors"/> and returns null.</summary>
    public static T? Read<T>(string path, string display, List<string> errors)
        where T : class
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{display}: cannot read: {ex.Message}");
            return null;
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(text, DualStackJson.Options);
            if (value is null)
            {
                errors.Add($"{display}: file is empty or 'null'");
            }

            return value;
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $"line {line + 1}, position {(ex.BytePositionInLine ?? 0) + 1}: " : string.Empty;
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? string.Empty : $" ({ex.Path})";
            var reason = ex.Message.Split(" Path:", 2)[0];
            errors.Add(UnmappedProperty().Match(reason) is { Success: true } unknown
                ? $"{display}: {where}unknown property '{unknown.Groups[1].Value}'{field}"
                : $"{display}: {where}invalid JSON{field}: {reason}");
            return null;
        }
    }

    [GeneratedRegex("^The JSON property '(.+?)' could not be mapped")]
    private static partial Regex UnmappedProperty();
}
