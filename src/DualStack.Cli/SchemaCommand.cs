using System.CommandLine;
using DualStack.Core.Schemas;

namespace DualStack.Cli;

/// <summary><c>dualstack schema [--out DIR] [--check]</c>: writes (or checks) the JSON schemas of the config files.</summary>
internal static class SchemaCommand
{
    public static Command Build()
    {
        var output = new Option<string>("--out") { Description = "Folder the schema files are written to (or checked in); default scenarios", DefaultValueFactory = _ => "scenarios" };
        var check = new Option<bool>("--check") { Description = "Write nothing: compare the files in --out with the generated schemas and list every difference" };
        var command = new Command("schema", "Generate the JSON schemas of the config files (scenario, ramp, drill, cutover) from the types their loaders read: scenario.schema.json, ramp.schema.json, drill.schema.json, cutover.schema.json. Exit 0 written (with --check: identical), 1 with --check: a file differs or is missing, 2 output not writable or bad option.");
        command.Options.Add(output);
        command.Options.Add(check);
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(output)!;
            if (!ConfigSchemas.HasDescriptions)
            {
                Console.Error.WriteLine("warning: DualStack.Core.xml is not beside DualStack.Core.dll; the schemas are generated without descriptions");
            }

            return parse.GetValue(check) ? Check(folder) : Write(folder);
        });
        return command;
    }

    private static int Write(string folder)
    {
        foreach (var kind in ConfigSchemas.All)
        {
            var path = Path.Combine(folder, kind.FileName);
            var text = ConfigSchemas.Generate(kind);
            var unchanged = File.Exists(path) && File.ReadAllText(path) == text;
            if (!unchanged)
            {
                try
                {
                    Directory.CreateDirectory(folder);
                    File.WriteAllText(path, text);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new UsageException($"--out '{folder}': cannot write {kind.FileName}: {ex.Message}");
                }
            }

            Console.WriteLine($"{path}: {(unchanged ? "unchanged" : "written")}");
        }

        return ExitCodes.Ok;
    }

    private static int Check(string folder)
    {
        var differs = false;
        foreach (var kind in ConfigSchemas.All)
        {
            var path = Path.Combine(folder, kind.FileName);
            var text = ConfigSchemas.Generate(kind);
            if (!File.Exists(path))
            {
                Console.WriteLine($"{path}: missing");
                differs = true;
                continue;
            }

            var committed = File.ReadAllText(path);
            var differences = ConfigSchemas.Differences(committed, text);
            if (differences.Count == 0 && committed == text)
            {
                Console.WriteLine($"{path}: up to date");
                continue;
            }

            differs = true;
            Console.WriteLine($"{path}: differs from the types{(differences.Count == 0 ? " (formatting only)" : string.Empty)}");
            foreach (var difference in differences)
            {
                Console.WriteLine("  " + difference);
            }
        }

        if (differs)
        {
            Console.WriteLine($"Regenerate with: dualstack schema --out {folder}");
        }

        return differs ? ExitCodes.Failed : ExitCodes.Ok;
    }
}
