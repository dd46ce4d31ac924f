using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DualStack.TestUtils;

namespace DualStack.OpenClaw.Tests;

/// <summary>
/// A real OpenClaw gateway on loopback with a private HOME, state, config and workspace in a temp folder, offline and
/// quiet (no update check, no catalog refresh, no heartbeat, no dreaming, no embeddings), its model served by a
/// <see cref="FakeModelServer"/>. Disposing kills the whole process tree and deletes the folder.
/// </summary>
internal sealed class OpenClawGateway : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;

    private OpenClawGateway(Process process, StringBuilder output, string root, int port, string token)
    {
        _process = process;
        _output = output;
        Root = root;
        Port = port;
        Token = token;
    }

    public string Root { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public string Token { get; }

    public string StateDir => Path.Combine(Root, "state");

    public string Workspace => Path.Combine(Root, "workspace");

    /// <summary>Seconds from process start to the first successful <c>/v1/models</c>.</summary>
    public double StartSeconds { get; private set; }

    /// <summary>Installs (cached) Node 24 and openclaw with scripts/openclaw-install.sh; fails with the script's message.</summary>
    public static async Task<string> InstallAsync(CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoPaths.Root };
        info.ArgumentList.Add(Path.Combine(RepoPaths.Root, "scripts", "openclaw-install.sh"));
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("scripts/openclaw-install.sh did not finish in time");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/openclaw-install.sh failed (exit {process.ExitCode}); OpenClaw tests need Node 24 and openclaw from the npm registry:\n{await stderr}");
        }

        return (await stdout).Trim().Split('\n').Last().Trim();
    }

    /// <summary>Starts a gateway; <paramref name="workspaceFiles"/> (relative path → content, e.g. skills) are written into its workspace first.</summary>
    public static async Task<OpenClawGateway> StartAsync(string tools, string name, string modelBaseUrl, IReadOnlyDictionary<string, string>? workspaceFiles, CancellationToken cancellationToken)
    {
        var root = Path.Combine(Path.GetTempPath(), $"dualstack-openclaw-{name}-{Guid.NewGuid():N}"[..48]);
        foreach (var folder in new[] { "home", "state", "workspace", "logs" })
        {
            Directory.CreateDirectory(Path.Combine(root, folder));
        }

        foreach (var (relative, content) in workspaceFiles ?? new Dictionary<string, string>())
        {
            var file = Path.Combine(root, "workspace", relative);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, content, cancellationToken);
        }

        // The gateway cannot bind port 0 and report it: a port no port-0 server of the tests can take meanwhile.
        var port = Loopback.PortForChildProcess();
        var token = "tok-" + Guid.NewGuid().ToString("N");
        var config = new JsonObject
        {
            ["gateway"] = new JsonObject
            {
                ["mode"] = "local",
                ["auth"] = new JsonObject { ["mode"] = "token", ["token"] = token },
                ["http"] = new JsonObject { ["endpoints"] = new JsonObject { ["chatCompletions"] = new JsonObject { ["enabled"] = true } } },
            },
            ["models"] = new JsonObject
            {
                ["catalogRefresh"] = new JsonObject { ["enabled"] = false },
                ["providers"] = new JsonObject
                {
                    ["fake"] = new JsonObject
                    {
                        ["baseUrl"] = modelBaseUrl,
                        ["api"] = "openai-completions",
                        ["apiKey"] = "fake-key",
                        ["models"] = new JsonArray(new JsonObject { ["id"] = "fake-1", ["name"] = "fake-1" }),
                    },
                },
            },
            ["agents"] = new JsonObject
            {
                ["defaults"] = new JsonObject
                {
                    ["model"] = new JsonObject { ["primary"] = "fake/fake-1" },
                    ["workspace"] = Path.Combine(root, "workspace"),
                    ["heartbeat"] = new JsonObject { ["every"] = "0m" },
                },
            },
            ["update"] = new JsonObject { ["checkOnStart"] = false },
            ["memory"] = new JsonObject { ["search"] = new JsonObject { ["provider"] = "none" } },
            ["plugins"] = new JsonObject { ["entries"] = new JsonObject { ["memory-core"] = new JsonObject { ["config"] = new JsonObject { ["dreaming"] = new JsonObject { ["enabled"] = false } } } } },
            ["logging"] = new JsonObject { ["file"] = Path.Combine(root, "logs", "openclaw.log") },
        };
        var configPath = Path.Combine(root, "openclaw.json");
        await File.WriteAllTextAsync(configPath, config.ToJsonString(), cancellationToken);

        var node = Path.Combine(tools, "node", "bin", "node");
        var info = new ProcessStartInfo(node) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = root };
        foreach (var arg in new[] { Path.Combine(tools, "app", "node_modules", "openclaw", "openclaw.mjs"), "gateway", "run", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "loopback" })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["HOME"] = Path.Combine(root, "home");
        info.Environment["OPENCLAW_STATE_DIR"] = Path.Combine(root, "state");
        info.Environment["OPENCLAW_CONFIG_PATH"] = configPath;
        info.Environment["OPENCLAW_NO_AUTO_UPDATE"] = "1";
        info.Environment["PATH"] = Path.Combine(tools, "node", "bin") + ":" + Environment.GetEnvironmentVariable("PATH");
        info.Environment.Remove("OPENCLAW_GATEWAY_TOKEN");

        var output = new StringBuilder();
        var started = Stopwatch.StartNew();
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var gateway = new OpenClawGateway(process, output, root, port, token);
        try
        {
            await gateway.WaitReadyAsync(TimeSpan.FromSeconds(150), cancellationToken);
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }

        gateway.StartSeconds = started.Elapsed.TotalSeconds;
        return gateway;
    }

    public string OutputTail(int lines = 40)
    {
        lock (_output)
        {
            return string.Join('\n', _output.ToString().Split('\n').TakeLast(lines));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await _process.WaitForExitAsync(wait.Token);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
            // Already gone, or it did not die in time: nothing more a test can do; the folder is removed anyway.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A straggling child may still hold a file for a moment; the temp folder is not worth failing a test for.
        }
    }

    private async Task WaitReadyAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < limit)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"OpenClaw gateway exited with code {_process.ExitCode} before it was ready:\n{OutputTail()}");
            }

            try
            {
                using var response = await http.GetAsync($"{Url}/v1/models", cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Listening but busy starting.
            }

            await Task.Delay(500, cancellationToken);
        }

        throw new TimeoutException($"OpenClaw gateway not ready on {Url} within {limit.TotalSeconds:0} s:\n{OutputTail()}");
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
