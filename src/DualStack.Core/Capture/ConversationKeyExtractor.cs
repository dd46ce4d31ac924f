using System.Text;
using System.Text.Json;

namespace DualStack.Core.Capture;

/// <summary>
/// Finds the conversation key of a request: the configured header first, then the route templates, then the JSON
/// paths into the body; the first non-empty hit wins. Never throws on request data (a non-JSON or truncated body
/// yields no key). Safe for concurrent use.
/// </summary>
public sealed class ConversationKeyExtractor
{
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private readonly string? _header;
    private readonly string[] _routes;
    private readonly byte[][][] _jsonPaths;

    /// <summary>Creates an extractor.</summary>
    /// <exception cref="ArgumentException">A JSON path is not of the form <c>$.a.b</c> or a route does not start with '/'; the message names it.</exception>
    public ConversationKeyExtractor(ConversationKeyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _header = string.IsNullOrWhiteSpace(options.Header) ? null : options.Header;
        _routes = [.. options.Routes];
        foreach (var route in _routes)
        {
            if (string.IsNullOrEmpty(route) || route[0] != '/')
            {
                throw new ArgumentException($"conversation key route '{route}' must start with '/'", nameof(options));
            }
        }

        _jsonPaths = new byte[options.JsonPaths.Count][][];
        for (var i = 0; i < options.JsonPaths.Count; i++)
        {
            _jsonPaths[i] = ParseJsonPath(options.JsonPaths[i]);
        }
    }

    /// <summary>
    /// The conversation key, or null when no strategy matched.
    /// </summary>
    /// <param name="path">Request path without query string (percent-encoded as received).</param>
    /// <param name="header">Returns a request header's value by name, or null when absent.</param>
    /// <param name="body">The request body as buffered so far (may be cut).</param>
    public string? Extract(string path, Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        if (_header is not null && header is not null)
        {
            var value = header(_header);
            if (!string.IsNullOrWhiteSpace(value))
            {
                return value.Trim();
            }
        }

        if (path is not null)
        {
            foreach (var route in _routes)
            {
                if (TryMatch(route, path, out var id))
                {
                    var key = Uri.UnescapeDataString(path.AsSpan()[id]);
                    if (key.Length > 0)
                    {
                        return key;
                    }
                }
            }
        }

        if (body.IsEmpty)
        {
            return null;
        }

        foreach (var jsonPath in _jsonPaths)
        {
            var key = FindString(body, jsonPath);
            if (!string.IsNullOrEmpty(key))
            {
                return key;
            }
        }

        return null;
    }

    /// <summary>
    /// True when <paramref name="path"/> matches one of the route templates: segments compare ordinally
    /// (case-sensitive), a <c>{name}</c> segment matches any one non-empty segment, a trailing '/' is ignored.
    /// </summary>
    public static bool IsTurnRoute(string path, IReadOnlyList<string> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        if (path is null)
        {
            return false;
        }

        foreach (var route in routes)
        {
            if (route is not null && TryMatch(route, path, out _))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Matches a template against a path without allocating; <paramref name="id"/> is the range of the <c>{id}</c> segment (empty when the template has none).</summary>
    internal static bool TryMatch(ReadOnlySpan<char> template, ReadOnlySpan<char> path, out Range id)
    {
        id = default;
        template = TrimTrailingSlash(template);
        path = TrimTrailingSlash(path);
        var t = 0;
        var p = 0;
        while (true)
        {
            var tEnd = NextSegmentEnd(template, t);
            var pEnd = NextSegmentEnd(path, p);
            var tSeg = template[t..tEnd];
            var pSeg = path[p..pEnd];
            if (tSeg.Length > 2 && tSeg[0] == '{' && tSeg[^1] == '}')
            {
                if (pSeg.IsEmpty)
                {
                    return false;
                }

                if (tSeg.SequenceEqual("{id}"))
                {
                    id = p..pEnd;
                }
            }
            else if (!tSeg.SequenceEqual(pSeg))
            {
                return false;
            }

            var tDone = tEnd >= template.Length;
            var pDone = pEnd >= path.Length;
            if (tDone || pDone)
            {
                return tDone && pDone;
            }

            t = tEnd + 1;
            p = pEnd + 1;
        }
    }

    private static ReadOnlySpan<char> TrimTrailingSlash(ReadOnlySpan<char> value) =>
        value.Length > 1 && value[^1] == '/' ? value[..^1] : value;

    private static int NextSegmentEnd(ReadOnlySpan<char> value, int start)
    {
        var i = value[start..].IndexOf('/');
        // The leading '/' gives an empty first segment in both template and path.
        return i < 0 ? value.Length : start + i;
    }

    private static byte[][] ParseJsonPath(string jsonPath)
    {
        if (string.IsNullOrEmpty(jsonPath) || !jsonPath.StartsWith("$.", StringComparison.Ordinal) || jsonPath.Length == 2)
        {
            throw new ArgumentException($"conversation key JSON path '{jsonPath}' must look like '$.name' or '$.a.b'", nameof(jsonPath));
        }

        var names = jsonPath[2..].Split('.');
        if (names.Any(n => n.Length == 0))
        {
            throw new ArgumentException($"conversation key JSON path '{jsonPath}' has an empty segment", nameof(jsonPath));
        }

        return [.. names.Select(Encoding.UTF8.GetBytes)];
    }

    /// <summary>The string (or number, as text) at the dotted path; null when absent, of another type, or the body is not JSON.</summary>
    private static string? FindString(ReadOnlySpan<byte> body, byte[][] path)
    {
        try
        {
            var reader = new Utf8JsonReader(body, isFinalBlock: true, new JsonReaderState(ReaderOptions));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            var level = 0;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    return null;
                }

                // Inside the object of this level: a property name, then its value.
                var matches = reader.ValueTextEquals(path[level]);
                if (!reader.Read())
                {
                    return null;
                }

                if (!matches)
                {
                    reader.Skip();
                    continue;
                }

                if (level == path.Length - 1)
                {
                    return reader.TokenType switch
                    {
                        JsonTokenType.String => reader.GetString(),
                        JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                        _ => null,
                    };
                }

                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    return null;
                }

                level++;
            }

            return null;
        }
        catch (JsonException)
        {
            // Not JSON, or cut by the body limit: no key from the body.
            return null;
        }
        catch (InvalidOperationException)
        {
            // Skip() on an incomplete value.
            return null;
        }
    }
}
