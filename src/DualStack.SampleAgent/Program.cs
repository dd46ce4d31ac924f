namespace DualStack.SampleAgent;

/// <summary>
/// <c>dotnet run --project src/DualStack.SampleAgent -- [--profile v1|v2] [--nondeterministic] [--seed N]
/// [--faults a,b] [--integrations URL] [--urls URL]</c>, or <c>--help</c>. Exit codes: 0 stopped normally or help
/// shown, 2 usage error.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (SampleAgentOptionsParser.WantsHelp(args))
        {
            await Console.Out.WriteLineAsync(SampleAgentOptionsParser.Usage).ConfigureAwait(false);
            return 0;
        }

        SampleAgentOptions options;
        string[] hostArgs;
        try
        {
            options = SampleAgentOptionsParser.Parse(args, out hostArgs);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"sample-agent: {ex.Message}").ConfigureAwait(false);
            return 2;
        }

        var app = AgentApp.Build(options, hostArgs, inProcess: false);
        await using (app.ConfigureAwait(false))
        {
            Log.Started(app.Logger, SampleAgentOptionsParser.NormalizeProfile(options.Profile) ?? options.Profile, options.IntegrationsBaseUrl?.ToString() ?? "built-in fixture");
            await app.RunAsync().ConfigureAwait(false);
        }

        return 0;
    }
}
