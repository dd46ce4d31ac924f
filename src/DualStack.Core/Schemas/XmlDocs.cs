using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace DualStack.Core.Schemas;

/// <summary>
/// Summaries from <c>DualStack.Core.xml</c> (the compiler's XML docs, beside the assembly) as plain one-line text:
/// <c>&lt;c&gt;x&lt;/c&gt;</c> → x, a cref to a property or enum value → its JSON name. Empty when the file is missing.
/// </summary>
internal static partial class XmlDocs
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Summaries = new(Load);

    public static bool Available => Summaries.Value.Count > 0;

    /// <summary>The summary of member id <paramref name="id"/> (<c>P:Namespace.Type.Property</c>, <c>T:Namespace.Type</c>); null when none.</summary>
    public static string? Summary(string id) => Summaries.Value.TryGetValue(id, out var text) ? text : null;

    private static Dictionary<string, string> Load()
    {
        var path = Path.ChangeExtension(typeof(XmlDocs).Assembly.Location, ".xml");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(typeof(XmlDocs).Assembly.Location) || !File.Exists(path))
        {
            return result;
        }

        foreach (var member in XDocument.Load(path).Descendants("member"))
        {
            if (member.Attribute("name")?.Value is { } name && member.Element("summary") is { } summary)
            {
                result[name] = Plain(summary);
            }
        }

        return result;
    }

    private static string Plain(XElement summary)
    {
        var text = new StringBuilder();
        foreach (var node in summary.Nodes())
        {
            Append(node, text);
        }

        return Whitespace().Replace(text.ToString(), " ").Trim();
    }

    private static void Append(XNode node, StringBuilder text)
    {
        switch (node)
        {
            case XText plain:
                text.Append(plain.Value);
                break;
            case XElement { Name.LocalName: "see" or "seealso" } see when see.Attribute("cref")?.Value is { } cref:
                text.Append(CrefText(cref));
                break;
            case XElement { Name.LocalName: "see" } see when see.Attribute("langword")?.Value is { } word:
                text.Append(word);
                break;
            case XElement { Name.LocalName: "paramref" or "typeparamref" } reference:
                text.Append(reference.Attribute("name")?.Value);
                break;
            case XElement element:
                foreach (var child in element.Nodes())
                {
                    Append(child, text);
                }

                break;
        }
    }

    // P:DualStack.Core.Stacks.StackConfig.StateDir → stateDir; F:DualStack.Core.Stacks.AdapterKind.Native → native;
    // T:DualStack.Core.Gates.GateConfig → GateConfig. Properties and enum values are named as they are in the file.
    private static string CrefText(string cref)
    {
        var kind = cref.Length > 2 && cref[1] == ':' ? cref[0] : 'T';
        var name = cref[(cref.IndexOf(':', StringComparison.Ordinal) + 1)..];
        name = name.Split('(')[0];
        name = name[(name.LastIndexOf('.') + 1)..];
        return kind is 'P' or 'F' && name.Length > 0 ? char.ToLowerInvariant(name[0]) + name[1..] : name;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
