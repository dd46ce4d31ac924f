using System.Diagnostics;
using System.Text;

namespace DualStack.Cli.Tests;

/// <summary>Runs the built <c>dualstack</c> as a real process, as users do, capturing exit code and output.</summary>
internal static class CliRunner
{
    public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
    }

    public static string RepoRoot { get; } = FindRepoRoot();

    public static async Task<CliResult> RunAsync(string workingDirectory, params string[] args) =>
        await RunAsync(workingDirectory, onStdoutLine: null, args);

    public static async Task<CliResult> RunAsync(string workingDirectory, Action<Process, string>? onStdoutLine, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "dualstack.dll");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("DUALSTACK_DEBUG");
        return await RunProcessAsync(info, TimeSpan.FromMinutes(3), onStdoutLine);
    }

    /// <summary>
    /// Runs a prepared process to its end, capturing both streams line by line; <paramref name="guard"/> kills a hung
    /// child (a guard, not a timing assertion).
    /// </summary>
    public static async Task<CliResult> RunProcessAsync(ProcessStartInfo info, TimeSpan guard, Action<Process, string>? onStdoutLine = null)
    {
        using var process = Process.Start(info)!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (stdout)
            {
                stdout.AppendLine(e.Data);
            }

            onStdoutLine?.Invoke(process, e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(guard);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        process.WaitForExit();
        return new CliResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DualStack.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("DualStack.sln not found above " + AppContext.BaseDirectory);
    }
}
