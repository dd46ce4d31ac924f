using System.Diagnostics;
using DualStack.TestUtils;

namespace DualStack.Cli.Tests;

/// <summary>Runs the built <c>dualstack</c> as a real process, as users do, capturing exit code and output.</summary>
internal static class CliRunner
{
    public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
    }

    public static string RepoRoot => RepoPaths.Root;

    public static async Task<CliResult> RunAsync(string workingDirectory, params string[] args) =>
        await RunAsync(workingDirectory, onStdoutLine: null, args);

    public static async Task<CliResult> RunAsync(string workingDirectory, Action<Process, string>? onStdoutLine, params string[] args) =>
        await RunProcessAsync(DualStackProcess.StartInfo(workingDirectory, args), TimeSpan.FromMinutes(3), onStdoutLine);

    /// <summary>
    /// Runs a prepared process to its end, capturing both streams line by line (<see cref="ProcessOutput"/>);
    /// <paramref name="guard"/> kills a hung child (a guard, not a timing assertion).
    /// </summary>
    public static async Task<CliResult> RunProcessAsync(ProcessStartInfo info, TimeSpan guard, Action<Process, string>? onStdoutLine = null)
    {
        using var process = new Process { StartInfo = info };
        var output = new ProcessOutput(process, onStdoutLine is null ? null : (line, stdout) =>
        {
            if (stdout)
            {
                onStdoutLine(process, line);
            }
        });
        output.Start();
        using var timeout = new CancellationTokenSource(guard);
        try
        {
            await output.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CliResult(process.ExitCode, output.Stdout, output.Stderr);
    }
}
