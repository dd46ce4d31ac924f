using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization.Metadata;
using DualStack.Core.Cutover;
using DualStack.Core.Drills;
using DualStack.Core.Gates;
using DualStack.Core.Model;
using DualStack.Core.Scenarios;

namespace DualStack.Core.Schemas;

/// <summary>One kind of JSON config file and the schema generated for it.</summary>
/// <param name="FileName">Schema file name, written next to the config files (<c>scenarios/</c>).</param>
/// <param name="Type">The record the loader deserializes the file into.</param>
/// <param name="Title">Schema title.</param>
/// <param name="Description">Schema description: what the file is and which command reads it.</param>
public sealed record ConfigSchemaKind(string FileName, Type Type, string Title, string Description);

/// <summary>
/// JSON schemas of the config files, generated from the records their loaders read (<see cref="JsonSchemaExporter"/>
/// with <see cref="DualStackJson.Options"/>, so the schema accepts what the loader's deserializer accepts), with
/// descriptions from the records' XML docs and defaults from a fresh instance. Cross-field rules (URL forms, ranges,
/// folders that must exist) stay in the loaders, whose messages name the file, item and value.
/// </summary>
public static class ConfigSchemas
{
    private static readonly JsonSerializerOptions FileFormat = new()
    {
        WriteIndented = true,
        IndentSize = 2,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Every config file kind with a schema: scenario, ramp plan, rollback drill, cutover checklist.</summary>
    public static IReadOnlyList<ConfigSchemaKind> All { get; } =
    [
        new("scenario.schema.json", typeof(ScenarioFile), "DualStack scenario",
            "Stacks, replay settings, synthetic mix, comparison rules and scripted conversations for `dualstack verify --scenario` (an included file holds only conversations and include). Every field is optional. Secrets are never written here: tokenEnv and headersFromEnv name environment variables. Generated from the loader's types by `dualstack schema`."),
        new("ramp.schema.json", typeof(RampPlan), "DualStack ramp plan",
            "Steps, hold time, window and gates of the split router's automatic ramp (`dualstack split --ramp`, `dualstack gate simulate`). Generated from the loader's types by `dualstack schema`."),
        new("drill.schema.json", typeof(DrillConfig), "DualStack rollback drill",
            "A rollback drill under live load (`dualstack drill --config`). Generated from the loader's types by `dualstack schema`."),
        new("cutover.schema.json", typeof(CutoverConfig), "DualStack cutover checklist",
            "What the cutover gate checks before the old stack is switched off (`dualstack gate --config`). Generated from the loader's types by `dualstack schema`."),
    ];

    /// <summary>The kind whose schema file is named <paramref name="fileName"/>; null when none is.</summary>
    public static ConfigSchemaKind? Find(string fileName) => All.FirstOrDefault(k => string.Equals(k.FileName, fileName, StringComparison.Ordinal));

    /// <summary>True when the XML docs the descriptions come from (<c>DualStack.Core.xml</c>) sit beside the assembly.</summary>
    public static bool HasDescriptions => XmlDocs.Available;

    /// <summary>The schema of <paramref name="kind"/> as file text: indented by two spaces, ending in a newline.</summary>
    public static string Generate(ConfigSchemaKind kind) => Generate(kind, DualStackJson.Options);

    /// <summary>
    /// As <see cref="Generate(ConfigSchemaKind)"/> with other serializer options (tests add a property to a record's
    /// contract to show that the committed file then differs).
    /// </summary>
    internal static string Generate(ConfigSchemaKind kind, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var exporter = new JsonSchemaExporterOptions
        {
            // A null file, list item or map value is rejected by the validators (or useless); properties still follow
            // the serializer (RespectNullableAnnotations is off, so a property may be null where the loader allows it).
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = Annotate,
        };
        var generated = JsonSchemaExporter.GetJsonSchemaAsNode(options, kind.Type, exporter).AsObject();
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = kind.Title,
            ["description"] = kind.Description,
        };
        foreach (var (key, value) in generated.ToArray())
        {
            if (key != "description")
            {
                generated.Remove(key);
                root[key] = value;
            }
        }

        return root.ToJsonString(FileFormat).ReplaceLineEndings("\n") + "\n";
    }

    /// <summary>
    /// Every difference between a committed schema and the generated one, as <c>path: what differs</c> lines
    /// (<c>$.properties.stacks.properties.old.properties.retryBudget: generated, missing from the committed file</c>);
    /// empty when they are equal as JSON. Malformed committed text is one difference.
    /// </summary>
    public static IReadOnlyList<string> Differences(string committed, string generated)
    {
        ArgumentNullException.ThrowIfNull(committed);
        ArgumentNullException.ThrowIfNull(generated);
        JsonNode? left;
        try
        {
            left = JsonNode.Parse(committed, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            return [$"$: the committed file is not valid JSON: {ex.Message}"];
        }

        var differences = new List<string>();
        Compare(left, JsonNode.Parse(generated), "$", differences);
        return differences;
    }

    private static void Compare(JsonNode? committed, JsonNode? generated, string path, List<string> differences)
    {
        if (committed is JsonObject left && generated is JsonObject right)
        {
            foreach (var (key, value) in right)
            {
                if (!left.ContainsKey(key))
                {
                    differences.Add($"{Child(path, key)}: generated ({Short(value)}), missing from the committed file");
                }
                else
                {
                    Compare(left[key], value, Child(path, key), differences);
                }
            }

            foreach (var (key, value) in left)
            {
                if (!right.ContainsKey(key))
                {
                    differences.Add($"{Child(path, key)}: in the committed file ({Short(value)}), no longer generated");
                }
            }

            return;
        }

        if (!JsonNode.DeepEquals(committed, generated))
        {
            differences.Add($"{path}: committed {Short(committed)}, generated {Short(generated)}");
        }
    }

    private static string Child(string path, string key) =>
        key.All(c => char.IsLetterOrDigit(c) || c == '_') ? $"{path}.{key}" : $"{path}['{key}']";

    private static string Short(JsonNode? node)
    {
        var text = node?.ToJsonString(Compact) ?? "null";
        return text.Length <= 120 ? text : text[..117] + "…";
    }

    // Adds the XML doc summary as "description" (first, for people reading the file), a "default" from a fresh
    // instance of the declaring record, and the lower-case spelling of camelCase enum values ("openclaw"): the
    // enum converter reads names case-insensitively and the README writes them that way.
    private static JsonNode Annotate(JsonSchemaExporterContext context, JsonNode schema)
    {
        if (schema is not JsonObject node)
        {
            return schema;
        }

        var type = Nullable.GetUnderlyingType(context.TypeInfo.Type) ?? context.TypeInfo.Type;
        if (type.IsEnum && node["enum"] is JsonArray values)
        {
            foreach (var name in values.Select(v => v?.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null).OfType<string>().ToArray())
            {
                var lower = name.ToLowerInvariant();
                if (!values.Any(v => v?.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == lower))
                {
                    values.Add(lower);
                }
            }
        }

        string? description = null;
        if (context.PropertyInfo is { } property)
        {
            description = property.AttributeProvider is System.Reflection.MemberInfo member && member.DeclaringType is { } declaring
                ? XmlDocs.Summary($"P:{declaring.FullName}.{member.Name}")
                : null;
            if (DefaultOf(property) is { } value)
            {
                node["default"] = value;
            }
        }

        description ??= context.PropertyInfo is null && context.Path.Length > 0 ? XmlDocs.Summary($"T:{type.FullName}") : null;
        if (description is null)
        {
            return node;
        }

        var annotated = new JsonObject { ["description"] = description };
        foreach (var (key, value) in node.ToArray())
        {
            node.Remove(key);
            annotated[key] = value;
        }

        return annotated;
    }

    private static JsonNode? DefaultOf(JsonPropertyInfo property)
    {
        // Nested records are described by their own properties' defaults; repeating them here would only add noise.
        if (property.Get is not { } get || property.DeclaringType.GetConstructor(Type.EmptyTypes) is null
            || property.Options.GetTypeInfo(property.PropertyType).Kind == JsonTypeInfoKind.Object)
        {
            return null;
        }

        // An empty string is how a required field starts out (cutover's proxyUrl), not a default worth proposing.
        var instance = Activator.CreateInstance(property.DeclaringType);
        var value = instance is null ? null : get(instance);
        return value is null or "" ? null : JsonSerializer.SerializeToNode(value, property.PropertyType, property.Options);
    }
}
