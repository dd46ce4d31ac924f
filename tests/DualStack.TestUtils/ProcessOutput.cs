using System.Diagnostics;
using System.Text;

namespace DualStack.TestUtils;

/// <summary>
/// A child process started with both standard streams read line by line as they arrive: each stream on its own
/// (<see cref="Stdout"/>, <see cref="Stderr"/>) and both in arrival order (<see cref="Output"/>). The one stream
/// capture behind <see cref="DualStackProcess"/> and the CLI tests' runner.
/// </summary>
public sealed class ProcessOutput
{
    private readonly Lock _lock = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _all = new();
    private readonly Action<string, bool>? _onLine;

    /// <summary>
    /// Captures the streams of <paramref name="process"/> (its <see cref="Process.StartInfo"/> made to redirect both)
    /// once <see cref="Start"/> starts it. <paramref name="onLine"/> sees each line once it is in <see cref="Output"/>,
    /// with true for standard output.
    /// </summary>
    public ProcessOutput(Process process, Action<string, bool>? onLine = null)
    {
        Process = process;
        _onLine = onLine;
        process.StartInfo.RedirectStandardOutput = true;
        process.StartInfo.RedirectStandardError = true;
        process.StartInfo.UseShellExecute = false;
        process.OutputDataReceived += (_, e) => Received(e.Data, stdout: true);
        process.ErrorDataReceived += (_, e) => Received(e.Data, stdout: false);
    }

    /// <summary>The process.</summary>
    public Process Process { get; }

    /// <summary>Standard output so far, one line each.</summary>
    public string Stdout => Read(_stdout);

    /// <summary>Standard error so far, one line each.</summary>
    public string Stderr => Read(_stderr);

    /// <summary>Standard output and error so far, one line each, in arrival order.</summary>
    public string Output => Read(_all);

    /// <summary>Starts the process and begins reading both streams.</summary>
    public void Start()
    {
        Process.Start();
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    /// <summary>Waits for the exit and for the last line of both streams.</summary>
    public async Task WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        await Process.WaitForExitAsync(cancellationToken);
        // The parameterless wait also drains the asynchronous readers.
        Process.WaitForExit();
    }

    private void Received(string? line, bool stdout)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            (stdout ? _stdout : _stderr).AppendLine(line);
            _all.AppendLine(line);
        }

        _onLine?.Invoke(line, stdout);
    }

    private string Read(StringBuilder text)
    {
        lock (_lock)
        {
            return text.ToString();
        }
    }
}
