using System.CommandLine;
using System.Text.Json;
using DualStack.Core.Model;
using DualStack.Core.Scenarios;
using DualStack.Core.Synthetic;

namespace DualStack.Cli;

/// <summary><c>dualstack synth --count N --seed S --out file.jsonl</c>.</summary>
internal static class SynthCommand
{
    public static Command Build()
    {
        var count = new Option<int>("--count") { Description = "Number of conversations (default 50)", DefaultValueFactory = _ => 50 };
        var seed = new Option<int>("--seed") { Description = "Seed; the same seed gives the same conversations (default 42)", DefaultValueFactory = _ => 42 };
        var output = new Option<string>("--out") { Description = "Output file, one conversation per line (JSONL); '-' for stdout", Required = true };
        var memory = new Option<double>("--memory-share") { Description = "Share of conversations that state a fact and ask for it later (default 0.3)", DefaultValueFactory = _ => 0.3 };
        var command = new Command("synth", "Generate reproducible, persona-based synthetic conversations (Bogus) for `verify --source`. Exit 0 written, 2 bad option or output not writable.");
        command.Options.Add(count);
        command.Options.Add(seed);
        command.Options.Add(output);
        command.Options.Add(memory);
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(count);
            if (n < 0)
            {
                throw new UsageException($"--count: {n} must not be negative");
            }

            var share = parse.GetValue(memory);
            if (share is < 0 or > 1)
            {
                throw new UsageException($"--memory-share: {share} must be between 0 and 1");
            }

            var conversations = SyntheticGenerator.Generate(new SyntheticConfig { Count = n, Seed = parse.GetValue(seed), MemoryProbability = share });
            var path = parse.GetValue(output)!;
            if (path == "-")
            {
                await WriteAsync(Console.Out, conversations, ct);
                return ExitCodes.Ok;
            }

            await using (var writer = new StreamWriter(CliArgs.CreateFile(path, "--out")))
            {
                await WriteAsync(writer, conversations, ct);
            }

            Console.Error.WriteLine($"wrote {conversations.Count} conversations ({conversations.Sum(c => c.Turns.Count)} turns) to {path}");

            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task WriteAsync(TextWriter writer, IEnumerable<Conversation> conversations, CancellationToken cancellationToken)
    {
        foreach (var conversation in conversations)
        {
            await writer.WriteLineAsync(JsonSerializer.Serialize(conversation, DualStackJson.Options).AsMemory(), cancellationToken);
        }
    }
}
