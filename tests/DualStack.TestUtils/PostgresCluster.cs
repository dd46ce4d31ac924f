using System.Diagnostics;
using System.Text;
using Npgsql;

namespace DualStack.TestUtils;

/// <summary>
/// A private PostgreSQL cluster for tests: Debian's server binaries (<c>/usr/lib/postgresql/N/bin</c>, installed by
/// <c>scripts/test.sh</c> when missing), a temp data folder, a port on 127.0.0.1 only (PostgreSQL cannot bind port 0 and report it: <see cref="Loopback.PortForChildProcess"/>), the unix socket in the
/// temp folder, password authentication over TCP. initdb refuses to run as root, so as root every server command runs
/// as the <c>postgres</c> user (<c>runuser</c>) and the temp folder belongs to it. One cluster per test process
/// (<see cref="SharedAsync"/>); each test takes its own database (<see cref="CreateDatabaseAsync"/>); the cluster is
/// stopped and deleted by <see cref="StopSharedAsync"/> (call it from a <c>[SetUpFixture]</c>'s one-time tear-down)
/// or, at the latest, when the process exits.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    /// <summary>Password of the <c>postgres</c> superuser over TCP (a throwaway cluster on loopback).</summary>
    public const string Password = "dualstack-test-pw";

    private static readonly SemaphoreSlim SharedGate = new(1, 1);
    private static PostgresCluster? _shared;
    private static int _databases;

    private readonly string _bin;
    private readonly string _root;
    private readonly string _data;
    private readonly string _socketDir;
    private readonly bool _asPostgresUser;
    private bool _running;

    private PostgresCluster(string bin, string root, int port, bool asPostgresUser)
    {
        _bin = bin;
        _root = root;
        _data = Path.Combine(root, "data");
        _socketDir = Path.Combine(root, "sock");
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    /// <summary>TCP port on 127.0.0.1.</summary>
    public int Port { get; private set; }

    /// <summary>Key/value connection string of a database on this cluster.</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Password={Password};Database={database};Timeout=5;Command Timeout=30";

    /// <summary>The process-wide cluster, started on first use.</summary>
    public static async Task<PostgresCluster> SharedAsync()
    {
        await SharedGate.WaitAsync();
        try
        {
            if (_shared is null)
            {
                _shared = await StartNewAsync();
                AppDomain.CurrentDomain.ProcessExit += (_, _) => _shared?.StopQuietly();
            }

            return _shared;
        }
        finally
        {
            SharedGate.Release();
        }
    }

    /// <summary>Stops and deletes the process-wide cluster, if one was started.</summary>
    public static async Task StopSharedAsync()
    {
        await SharedGate.WaitAsync();
        try
        {
            if (_shared is not null)
            {
                await _shared.DisposeAsync();
                _shared = null;
            }
        }
        finally
        {
            SharedGate.Release();
        }
    }

    /// <summary>A new empty database on the process-wide cluster (started on first use): its connection string.</summary>
    public static async Task<string> NewDatabaseAsync(string prefix) => await (await SharedAsync()).CreateDatabaseAsync(prefix);

    /// <summary>Creates an empty database with a unique name and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}".ToLowerInvariant();
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>Starts a new cluster (initdb + pg_ctl start).</summary>
    public static async Task<PostgresCluster> StartNewAsync()
    {
        var bin = FindBinaries()
            ?? throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: run scripts/test.sh (installs Debian's postgresql) or apt-get install postgresql");
        var root = Path.Combine(Path.GetTempPath(), "dualstack-pg-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(Path.Combine(root, "sock"));
        var asPostgres = Environment.IsPrivilegedProcess;
        var cluster = new PostgresCluster(bin, root, Loopback.PortForChildProcess(), asPostgres);
        var pwfile = Path.Combine(root, "pw");
        await File.WriteAllTextAsync(pwfile, Password + "\n");
        if (asPostgres)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", root], asPostgresUser: false);
        }

        await cluster.RunServerToolAsync("initdb", ["-D", cluster._data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile=" + pwfile, "-E", "UTF8", "--no-sync", "--no-instructions"]);
        await cluster.StartAsync();
        return cluster;
    }

    /// <summary>Starts the (stopped) cluster again on the same port; retries on a fresh port if that one was taken.</summary>
    public async Task StartAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // fsync off: only an operating-system crash could lose data, and tests never crash the OS. Commits stay
                // synchronous, so the immediate stop of StopAsync (a database host failing) loses no committed
                // transaction, as on a production server; with synchronous_commit off it lost the schema now and then.
                var options = $"-p {Port} -k {_socketDir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB";
                await RunServerToolAsync("pg_ctl", ["-D", _data, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "-o", options, "start"]);
                _running = true;
                return;
            }
            catch (InvalidOperationException) when (attempt < 2)
            {
                Port = Loopback.PortForChildProcess();
            }
        }
    }

    /// <summary>Stops the cluster at once (connections are cut, as when the database host fails).</summary>
    public async Task StopAsync()
    {
        if (_running)
        {
            await RunServerToolAsync("pg_ctl", ["-D", _data, "-w", "-t", "60", "-m", "immediate", "stop"]);
            _running = false;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            TryDelete();
        }
    }

    private void StopQuietly()
    {
        try
        {
            if (_running)
            {
                RunAsync(ToolPath("pg_ctl"), ["-D", _data, "-w", "-m", "immediate", "stop"], _asPostgresUser).GetAwaiter().GetResult();
                _running = false;
            }
        }
        catch (InvalidOperationException)
        {
        }

        TryDelete();
    }

    private void TryDelete()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private string ToolPath(string tool) => Path.Combine(_bin, tool);

    private Task RunServerToolAsync(string tool, IReadOnlyList<string> args) => RunAsync(ToolPath(tool), args, _asPostgresUser);

    private static async Task RunAsync(string file, IReadOnlyList<string> args, bool asPostgresUser)
    {
        var info = new ProcessStartInfo(asPostgresUser ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asPostgresUser)
        {
            foreach (var a in (string[])["-u", "postgres", "--", file])
            {
                info.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            var output = new StringBuilder().Append(await stdout).Append(await stderr).ToString();
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited {process.ExitCode}: {output}");
        }
    }

    private static string? FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        return Directory.GetDirectories(root)
            .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1))
            .Where(x => x.Version > 0 && File.Exists(Path.Combine(x.Dir, "bin", "initdb")))
            .OrderByDescending(x => x.Version)
            .Select(x => Path.Combine(x.Dir, "bin"))
            .FirstOrDefault();
    }

}
