using System.Globalization;
using System.Text;

namespace DualStack.TestUtils;

/// <summary>One sample line: its name, labels (in order) and value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyList<KeyValuePair<string, string>> Labels, double Value, long? Timestamp)
{
    /// <summary>The value of a label, or null when the sample has none of that name.</summary>
    public string? Label(string name) => Labels.FirstOrDefault(l => l.Key == name).Value;
}

/// <summary>A metric family: its TYPE, HELP and samples.</summary>
public sealed record PrometheusFamily(string Name, string Type, string? Help, IReadOnlyList<PrometheusSample> Samples);

/// <summary>A parsed scrape, with lookups by series.</summary>
public sealed class PrometheusScrape(IReadOnlyDictionary<string, PrometheusFamily> families)
{
    /// <summary>Families by name.</summary>
    public IReadOnlyDictionary<string, PrometheusFamily> Families { get; } = families;

    /// <summary>Every sample, in scrape order per family.</summary>
    public IEnumerable<PrometheusSample> Samples => Families.Values.SelectMany(f => f.Samples);

    /// <summary>The value of the one series named <paramref name="name"/> with exactly these labels; throws when absent.</summary>
    public double Value(string name, params (string Name, string Value)[] labels) =>
        Find(name, labels) ?? throw new KeyNotFoundException($"no series {name}{{{string.Join(",", labels.Select(l => $"{l.Name}=\"{l.Value}\""))}}} in the scrape");

    /// <summary>The value of the one series named <paramref name="name"/> with exactly these labels, or null.</summary>
    public double? Find(string name, params (string Name, string Value)[] labels)
    {
        var wanted = labels.OrderBy(l => l.Name, StringComparer.Ordinal).Select(l => new KeyValuePair<string, string>(l.Name, l.Value)).ToArray();
        foreach (var sample in Samples)
        {
            if (sample.Name == name && sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).SequenceEqual(wanted))
            {
                return sample.Value;
            }
        }

        return null;
    }
}

/// <summary>
/// A strict parser of the Prometheus text exposition format 0.0.4 (no served NuGet package parses it). Beyond the syntax
/// (names, escaped label values, float values incl. NaN/±Inf, optional timestamps) it checks what a scraper relies on:
/// one TYPE and HELP per family, given before its samples; a family's samples in one group; sample names that belong to
/// the family's type (histogram: _bucket with le, _sum, _count); no duplicate series; counters not negative; histogram
/// buckets in increasing le order, cumulative, ending in +Inf equal to _count. Any breach throws <see cref="FormatException"/>
/// naming the line.
/// </summary>
public static class PrometheusText
{
    private static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    public static PrometheusScrape Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var helps = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new Dictionary<string, List<PrometheusSample>>(StringComparer.Ordinal);
        var order = new List<string>();
        var closed = new HashSet<string>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            throw new FormatException("the exposition does not end with a line feed");
        }

        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n];
            var where = $"line {n + 1}: '{line}'";
            if (line.Length == 0)
            {
                continue;
            }

            if (line.Contains('\r', StringComparison.Ordinal))
            {
                throw new FormatException($"{where}: carriage return");
            }

            if (line[0] == '#')
            {
                var parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[0] == "#" && parts[1] is "TYPE" or "HELP")
                {
                    var name = parts[2];
                    CheckName(name, where);
                    if (samples.ContainsKey(name) || closed.Contains(name))
                    {
                        throw new FormatException($"{where}: {parts[1]} after the family's samples");
                    }

                    Switch(name);
                    if (parts[1] == "TYPE")
                    {
                        var type = parts.Length == 4 ? parts[3] : throw new FormatException($"{where}: TYPE without a type");
                        if (!Types.Contains(type))
                        {
                            throw new FormatException($"{where}: unknown type '{type}'");
                        }

                        if (!types.TryAdd(name, type))
                        {
                            throw new FormatException($"{where}: second TYPE for {name}");
                        }
                    }
                    else if (!helps.TryAdd(name, parts.Length == 4 ? Unescape(parts[3], help: true, where) : string.Empty))
                    {
                        throw new FormatException($"{where}: second HELP for {name}");
                    }
                }

                continue;
            }

            var sample = ParseSample(line, where);
            var family = FamilyOf(sample.Name, types);
            Switch(family);
            var type2 = types.GetValueOrDefault(family, "untyped");
            CheckSampleName(sample, family, type2, where);
            var key = sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)) + "}";
            if (!series.Add(key))
            {
                throw new FormatException($"{where}: duplicate series {key}");
            }

            if (type2 == "counter" && !(sample.Value >= 0))
            {
                throw new FormatException($"{where}: counter value {sample.Value} is negative or NaN");
            }

            if (!samples.TryGetValue(family, out var list))
            {
                samples[family] = list = [];
            }

            list.Add(sample);
        }

        var families = new Dictionary<string, PrometheusFamily>(StringComparer.Ordinal);
        foreach (var name in order)
        {
            var type = types.GetValueOrDefault(name, "untyped");
            var list = samples.GetValueOrDefault(name) ?? [];
            if (type == "histogram")
            {
                CheckHistogram(name, list);
            }

            families[name] = new PrometheusFamily(name, type, helps.GetValueOrDefault(name), list);
        }

        return new PrometheusScrape(families);

        // A family's lines come in one group: once another family starts, this one is closed.
        void Switch(string family)
        {
            if (family == current)
            {
                return;
            }

            if (closed.Contains(family))
            {
                throw new FormatException($"the lines of {family} are not in one group");
            }

            if (current is not null)
            {
                closed.Add(current);
            }

            current = family;
            if (!order.Contains(family))
            {
                order.Add(family);
            }
        }
    }

    private static string FamilyOf(string sampleName, Dictionary<string, string> types)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal) && types.TryGetValue(sampleName[..^suffix.Length], out var type) && type is "histogram" or "summary")
            {
                return sampleName[..^suffix.Length];
            }
        }

        return sampleName;
    }

    private static void CheckSampleName(PrometheusSample sample, string family, string type, string where)
    {
        var suffix = sample.Name[family.Length..];
        var ok = type switch
        {
            "histogram" => suffix is "_sum" or "_count" || (suffix == "_bucket" && sample.Label("le") is not null),
            "summary" => suffix is "_sum" or "_count" || (suffix.Length == 0 && sample.Label("quantile") is not null),
            _ => suffix.Length == 0,
        };
        if (!ok)
        {
            throw new FormatException($"{where}: sample {sample.Name} does not fit {type} {family}");
        }
    }

    private static void CheckHistogram(string name, List<PrometheusSample> samples)
    {
        foreach (var group in samples.GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value))))
        {
            var buckets = group.Where(s => s.Name == name + "_bucket").ToList();
            var previousBound = double.NegativeInfinity;
            var previousCount = 0.0;
            foreach (var bucket in buckets)
            {
                var bound = ParseFloat(bucket.Label("le")!, $"{name}_bucket le");
                if (!(bound > previousBound))
                {
                    throw new FormatException($"{name}{{{group.Key}}}: bucket le={bucket.Label("le")} is not above the previous one");
                }

                if (bucket.Value < previousCount)
                {
                    throw new FormatException($"{name}{{{group.Key}}}: bucket le={bucket.Label("le")} holds {bucket.Value}, fewer than the previous bucket's {previousCount}: not cumulative");
                }

                previousBound = bound;
                previousCount = bucket.Value;
            }

            if (buckets.Count == 0 || !double.IsPositiveInfinity(previousBound))
            {
                throw new FormatException($"{name}{{{group.Key}}}: no +Inf bucket");
            }

            var count = group.SingleOrDefault(s => s.Name == name + "_count") ?? throw new FormatException($"{name}{{{group.Key}}}: no _count");
            _ = group.SingleOrDefault(s => s.Name == name + "_sum") ?? throw new FormatException($"{name}{{{group.Key}}}: no _sum");
            if (count.Value != previousCount)
            {
                throw new FormatException($"{name}{{{group.Key}}}: _count {count.Value} differs from the +Inf bucket {previousCount}");
            }
        }
    }

    private static PrometheusSample ParseSample(string line, string where)
    {
        var i = 0;
        while (i < line.Length && IsNameChar(line[i], i == 0, colon: true))
        {
            i++;
        }

        var name = line[..i];
        CheckName(name, where);
        var labels = new List<KeyValuePair<string, string>>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                if (i >= line.Length)
                {
                    throw new FormatException($"{where}: label set not closed");
                }

                if (line[i] == '}')
                {
                    i++;
                    break;
                }

                var start = i;
                while (i < line.Length && IsNameChar(line[i], i == start, colon: false))
                {
                    i++;
                }

                var label = line[start..i];
                if (label.Length == 0 || i >= line.Length || line[i] != '=' || i + 1 >= line.Length || line[i + 1] != '"')
                {
                    throw new FormatException($"{where}: expected label=\"value\" at column {start + 1}");
                }

                if (label.StartsWith("__", StringComparison.Ordinal) || labels.Any(l => l.Key == label))
                {
                    throw new FormatException($"{where}: label {label} is reserved or repeated");
                }

                i += 2;
                var value = new StringBuilder();
                while (true)
                {
                    if (i >= line.Length)
                    {
                        throw new FormatException($"{where}: label value not closed");
                    }

                    var c = line[i++];
                    if (c == '"')
                    {
                        break;
                    }

                    if (c == '\\')
                    {
                        var e = i < line.Length ? line[i++] : throw new FormatException($"{where}: escape at end of line");
                        value.Append(e switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new FormatException($"{where}: unknown escape \\{e} in a label value"),
                        });
                    }
                    else
                    {
                        value.Append(c);
                    }
                }

                labels.Add(new(label, value.ToString()));
                if (i < line.Length && line[i] == ',')
                {
                    i++;
                }
                else if (i >= line.Length || line[i] != '}')
                {
                    throw new FormatException($"{where}: expected ',' or '}}' after label {label}");
                }
            }
        }

        var rest = line[i..];
        if (rest.Length == 0 || rest[0] is not (' ' or '\t'))
        {
            throw new FormatException($"{where}: no space before the value");
        }

        var fields = rest.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length is < 1 or > 2)
        {
            throw new FormatException($"{where}: expected a value and an optional timestamp");
        }

        long? timestamp = fields.Length == 2
            ? long.TryParse(fields[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var t) ? t : throw new FormatException($"{where}: timestamp '{fields[1]}' is not an integer")
            : null;
        return new PrometheusSample(name, labels, ParseFloat(fields[0], where), timestamp);
    }

    private static double ParseFloat(string text, string where) => text switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) => v,
        _ => throw new FormatException($"{where}: '{text}' is not a float"),
    };

    private static string Unescape(string text, bool help, string where)
    {
        var s = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                s.Append(text[i]);
                continue;
            }

            s.Append(++i < text.Length ? text[i] switch
            {
                '\\' => '\\',
                'n' => '\n',
                _ => throw new FormatException($"{where}: unknown escape \\{text[i]} in {(help ? "HELP" : "a value")}"),
            } : throw new FormatException($"{where}: escape at end of line"));
        }

        return s.ToString();
    }

    private static void CheckName(string name, string where)
    {
        if (name.Length == 0 || !name.Select((c, i) => IsNameChar(c, i == 0, colon: true)).All(ok => ok))
        {
            throw new FormatException($"{where}: '{name}' is not a metric name");
        }
    }

    private static bool IsNameChar(char c, bool first, bool colon) =>
        c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or '_' || (colon && c == ':') || (!first && c is >= '0' and <= '9');
}
