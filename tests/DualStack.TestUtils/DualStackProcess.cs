using System.Diagnostics;
using System.Globalization;
using NUnit.Framework;

namespace DualStack.TestUtils;

/// <summary>
/// The built <c>dualstack</c> (<c>dualstack.dll</c> beside the test binaries) running as a real process in the
/// background: its standard output and error are collected line by line, and it is killed on dispose if still running.
/// </summary>
public sealed class DualStackProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];
    private readonly ProcessOutput _output;

    private DualStackProcess(Process process)
    {
        _process = process;
        _output = new ProcessOutput(process, (line, _) => Received(line));
        process.Exited += (_, _) => Exited();
    }

    /// <summary>Process id.</summary>
    public int Id => _process.Id;

    /// <summary>Exit code (once exited).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Standard output and error so far, one line each, in arrival order.</summary>
    public string Output => _output.Output;

    /// <summary>Starts <c>dualstack ARGS</c> in <paramref name="workingDirectory"/>.</summary>
    public static DualStackProcess Start(string workingDirectory, params string[] args)
    {
        var started = new DualStackProcess(new Process { StartInfo = StartInfo(workingDirectory, args), EnableRaisingEvents = true });
        started._output.Start();
        return started;
    }

    /// <summary>
    /// How <c>dualstack ARGS</c> is started in <paramref name="workingDirectory"/>: <c>dotnet dualstack.dll</c> from beside
    /// the test binaries, without <c>DUALSTACK_DEBUG</c> (stack traces are only shown when asked for).
    /// </summary>
    public static ProcessStartInfo StartInfo(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dualstack.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("DUALSTACK_DEBUG");
        return info;
    }

    /// <summary>
    /// The first line (so far or later) that <paramref name="match"/> accepts. Fails the test when the process exits
    /// first or nothing matches within <paramref name="timeout"/> (default 60 s), with everything it printed.
    /// </summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var earlier = Output.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(match);
            if (earlier is not null)
            {
                return earlier;
            }

            if (_process.HasExited)
            {
                Assert.Fail($"dualstack exited {_process.ExitCode} before printing the line awaited:\n{Output}");
            }

            _waiters.Add((match, seen));
        }

        try
        {
            return await seen.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"dualstack did not print the line awaited within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds:0} s:\n{Output}");
            throw;
        }
        catch (InvalidOperationException ex)
        {
            Assert.Fail(ex.Message);
            throw;
        }
    }

    /// <summary>Sends SIGINT, as Ctrl+C or a service manager does, and waits for the exit.</summary>
    public async Task InterruptAsync()
    {
        using (var kill = Process.Start("kill", ["-INT", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await WaitForExitAsync();
    }

    /// <summary>SIGKILL (no flush, no orderly shutdown) and waits for the exit.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await WaitForExitAsync();
    }

    /// <summary>Waits for the exit and for the last output line.</summary>
    public Task WaitForExitAsync() => _output.WaitForExitAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    // Each line is in Output before it gets here; a waiter registered in between found it there.
    private void Received(string line)
    {
        lock (_lock)
        {
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToArray())
            {
                _waiters.Remove(waiter);
                waiter.Seen.TrySetResult(line);
            }
        }
    }

    private void Exited()
    {
        // Output still in flight is read by WaitForExit(); whoever waits for a line it did not print fails with it all.
        _process.WaitForExit();
        lock (_lock)
        {
            foreach (var waiter in _waiters)
            {
                waiter.Seen.TrySetException(new InvalidOperationException($"dualstack exited {_process.ExitCode} before printing the line awaited:\n{Output}"));
            }

            _waiters.Clear();
        }
    }
}
