namespace DualStack.SampleAgent;

/// <summary>The sample agent running in-process on <c>http://127.0.0.1:&lt;free port&gt;</c>, logging warnings only.</summary>
public sealed class SampleAgentServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FaultState _faults;
    private int _disposed;

    private SampleAgentServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        _faults = app.Services.GetRequiredService<FaultState>();
        BaseAddress = baseAddress;
    }

    /// <summary>Root URL of the agent, ending in '/', e.g. <c>http://127.0.0.1:43123/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Validates the options and starts the agent.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message names every bad value.</exception>
    public static Task<SampleAgentServer> StartAsync(SampleAgentOptions options, CancellationToken cancellationToken = default) =>
        StartAsync(options, time: null, cancellationToken);

    /// <summary>Replaces the active faults, like <c>POST /v1/admin/faults</c>.</summary>
    /// <exception cref="ArgumentException">A fault is unknown or malformed; the active faults stay as they were.</exception>
    public void SetFaults(IEnumerable<string> faults)
    {
        ArgumentNullException.ThrowIfNull(faults);
        _faults.Set(faults);
    }

    /// <summary>Stops the server and releases its port.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    internal static async Task<SampleAgentServer> StartAsync(SampleAgentOptions options, TimeProvider? time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = SampleAgentOptionsParser.Validate(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors));
        }

        var app = AgentApp.Build(options, [], inProcess: true, time);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Urls.First();
            return new SampleAgentServer(app, new Uri(address.EndsWith('/') ? address : address + "/"));
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
