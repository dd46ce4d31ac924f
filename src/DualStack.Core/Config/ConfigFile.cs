using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using DualStack.Core.Model;

namespace DualStack.Core.Config;

/// <summary>
/// Reads JSON config files (scenarios, ramp plans, drills, cutover checklists) with <see cref="DualStackJson.Options"/>.
/// Every unknown property is reported with its JSON path and line, not only the first one, and the file is still read
/// (unknown properties skipped) so the caller's validator can add its own problems in the same run.
/// </summary>
internal static class ConfigFile
{
    // The same contract as DualStackJson.Options, but unknown members are skipped: they were already reported by the walk
    // below, and throwing at the first one would hide the others and every validation error after it.
    private static readonly JsonSerializerOptions Lenient = CreateLenient();

    /// <summary>How a file is named in messages: relative to the working directory when below it, else absolute.</summary>
    public static string Display(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, Path.GetFullPath(path));
        return relative.StartsWith("..", StringComparison.Ordinal) ? Path.GetFullPath(path) : relative;
    }

    /// <summary>
    /// Deserializes <paramref name="path"/>. Problems are added to <paramref name="errors"/>: one per unknown property
    /// (the value is still returned so the caller can validate the rest), or one for malformed JSON (null is returned).
    /// </summary>
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

        return Parse<T>(text, display, errors);
    }

    /// <summary>
    /// Deserializes <paramref name="text"/> as <see cref="Read{T}"/> does; <paramref name="firstLine"/> is the line of the
    /// file the text starts on (JSONL), for the line numbers in messages.
    /// </summary>
    public static T? Parse<T>(string text, string display, List<string> errors, int firstLine = 1)
        where T : class
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        try
        {
            UnknownPropertyWalk.Run(utf8, typeof(T), DualStackJson.Options, display, firstLine, errors);
        }
        catch (JsonException)
        {
            // Malformed JSON: the deserializer below reports it with its line and path.
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(utf8, Lenient);
            if (value is null)
            {
                errors.Add($"{display}: file is empty or 'null'");
            }

            return value;
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $"line {line + firstLine}, position {(ex.BytePositionInLine ?? 0) + 1}: " : string.Empty;
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? string.Empty : $" ({ex.Path})";
            var reason = ex.Message.Split(" Path:", 2)[0];
            errors.Add($"{display}: {where}invalid JSON{field}: {reason}");
            return null;
        }
    }

    private static JsonSerializerOptions CreateLenient()
    {
        var options = new JsonSerializerOptions(DualStackJson.Options)
        {
            TypeInfoResolver = (DualStackJson.Options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver())
                .WithAddedModifier(static info =>
                {
                    if (info.Kind == JsonTypeInfoKind.Object)
                    {
                        info.UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip;
                    }
                }),
        };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>
    /// Walks the JSON against the serializer's own metadata for the target type and reports every property that a type
    /// marked <see cref="JsonUnmappedMemberHandling.Disallow"/> does not have, with its path (<c>stacks.old.urll</c>).
    /// </summary>
    private static class UnknownPropertyWalk
    {
        public static void Run(byte[] utf8, Type type, JsonSerializerOptions options, string display, int firstLine, List<string> errors)
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!reader.Read())
            {
                return;
            }

            Walk(ref reader, type, string.Empty, new Context(utf8, options, display, firstLine, errors));
        }

        private sealed record Context(byte[] Utf8, JsonSerializerOptions Options, string Display, int FirstLine, List<string> Errors);

        private static void Walk(ref Utf8JsonReader reader, Type? type, string path, Context context)
        {
            var info = Info(type, context.Options);
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject when info?.Kind == JsonTypeInfoKind.Object:
                    WalkObject(ref reader, info, path, context);
                    return;
                case JsonTokenType.StartObject when info?.Kind == JsonTypeInfoKind.Dictionary:
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var key = reader.GetString() ?? string.Empty;
                        reader.Read();
                        Walk(ref reader, info.ElementType, Child(path, key), context);
                    }

                    return;
                case JsonTokenType.StartArray when info?.Kind == JsonTypeInfoKind.Enumerable:
                    var index = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        Walk(ref reader, info.ElementType, $"{path}[{index++}]", context);
                    }

                    return;
                default:
                    // A scalar, a shape the type does not expect (the deserializer reports that), or a free-form value.
                    reader.Skip();
                    return;
            }
        }

        private static void WalkObject(ref Utf8JsonReader reader, JsonTypeInfo info, string path, Context context)
        {
            var disallow = (info.UnmappedMemberHandling ?? context.Options.UnmappedMemberHandling) == JsonUnmappedMemberHandling.Disallow
                && !info.Properties.Any(p => p.IsExtensionData);
            var comparison = context.Options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString() ?? string.Empty;
                var start = reader.TokenStartIndex;
                reader.Read();
                var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, comparison));
                if (property is not null)
                {
                    Walk(ref reader, property.PropertyType, Child(path, name), context);
                    continue;
                }

                if (disallow && !Ignored(info.Type, context.Options).Contains(name))
                {
                    var hint = Suggest(name, info.Properties.Select(p => p.Name)) is { } known ? $"; did you mean '{known}'?" : string.Empty;
                    var (line, position) = LineAndPosition(context.Utf8, (int)start);
                    context.Errors.Add($"{context.Display}: {Child(path, name)}: unknown property{hint} (line {line + context.FirstLine - 1}, position {position})");
                }

                reader.Skip();
            }
        }

        private static JsonTypeInfo? Info(Type? type, JsonSerializerOptions options)
        {
            if (type is null || type == typeof(object) || type == typeof(JsonElement))
            {
                return null;
            }

            type = Nullable.GetUnderlyingType(type) ?? type;
            try
            {
                return options.GetTypeInfo(type);
            }
            catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or ArgumentException)
            {
                return null;
            }
        }

        // [JsonIgnore] properties are not in the contract, but the serializer does not call them unmapped either; a
        // loader may give them a better message of its own (ramp.json's gates.minRequests).
        private static HashSet<string> Ignored(Type type, JsonSerializerOptions options)
        {
            var comparer = options.PropertyNameCaseInsensitive ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
            return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is { Condition: JsonIgnoreCondition.Always })
                .Select(p => options.PropertyNamingPolicy?.ConvertName(p.Name) ?? p.Name)
                .ToHashSet(comparer);
        }

        private static string Child(string path, string name)
        {
            var plain = name.Length > 0 && name.All(c => char.IsLetterOrDigit(c) || c is '_' or '$' or '-');
            return plain ? (path.Length == 0 ? name : $"{path}.{name}") : $"{path}['{name.Replace("'", "\\'", StringComparison.Ordinal)}']";
        }

        private static (int Line, int Position) LineAndPosition(byte[] utf8, int offset)
        {
            var line = 1;
            var lineStart = 0;
            for (var i = 0; i < offset && i < utf8.Length; i++)
            {
                if (utf8[i] == (byte)'\n')
                {
                    line++;
                    lineStart = i + 1;
                }
            }

            return (line, offset - lineStart + 1);
        }

        private static string? Suggest(string name, IEnumerable<string> known)
        {
            string? best = null;
            var bestDistance = int.MaxValue;
            foreach (var candidate in known)
            {
                var distance = Distance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
                if (distance < bestDistance)
                {
                    (best, bestDistance) = (candidate, distance);
                }
            }

            return bestDistance <= Math.Max(2, (name.Length + 2) / 3) ? best : null;
        }

        private static int Distance(string a, string b)
        {
            var previous = Enumerable.Range(0, b.Length + 1).ToArray();
            var current = new int[b.Length + 1];
            for (var i = 1; i <= a.Length; i++)
            {
                current[0] = i;
                for (var j = 1; j <= b.Length; j++)
                {
                    current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                }

                (previous, current) = (current, previous);
            }

            return previous[b.Length];
        }
    }
}
