using DualStack.Core.Capture;

namespace DualStack.Proxy;

/// <summary>
/// The proxy's stores: the capture store with its retention and the shadow results store. They open asynchronously,
/// so they are opened before the host's container is built, registered there as instances, and closed by the server
/// once the parts that write to them have stopped.
/// </summary>
internal sealed class ProxyStores : IAsyncDisposable
{
    private ProxyStores(ICaptureStore? capture, CaptureRetention? retention, IShadowResultStore? shadowResults)
    {
        Capture = capture;
        Retention = retention;
        ShadowResults = shadowResults;
    }

    /// <summary>The capture store; null without <see cref="ProxyOptions.StorePath"/>.</summary>
    public ICaptureStore? Capture { get; }

    /// <summary>Deletes old captures (<see cref="ProxyOptions.Retain"/>); null when captures are kept.</summary>
    public CaptureRetention? Retention { get; }

    /// <summary>Where shadow pairs are stored; null without a store or without shadow.</summary>
    public IShadowResultStore? ShadowResults { get; }

    /// <summary>Opens what <paramref name="options"/> asks for; throws <see cref="InvalidDataException"/> when a store cannot be opened.</summary>
    public static async Task<ProxyStores> OpenAsync(ProxyOptions options, CancellationToken cancellationToken)
    {
        if (options.StorePath is not { } path)
        {
            return new ProxyStores(null, null, null);
        }

        var capture = await CaptureStores.OpenAsync(path, cancellationToken).ConfigureAwait(false);
        var retention = options.Retain is { } retain ? new CaptureRetention(capture, retain) : null;
        try
        {
            var shadowResults = options.Shadow is null ? null : await ShadowResultStores.OpenBesideAsync(capture, path, cancellationToken).ConfigureAwait(false);
            return new ProxyStores(capture, retention, shadowResults);
        }
        catch
        {
            await new ProxyStores(capture, retention, null).DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Retention is not null)
        {
            await Retention.DisposeAsync().ConfigureAwait(false);
        }

        // The shadow store may write through the capture store's connection (one SQLite file): it goes first.
        if (ShadowResults is not null)
        {
            await ShadowResults.DisposeAsync().ConfigureAwait(false);
        }

        if (Capture is not null)
        {
            await Capture.DisposeAsync().ConfigureAwait(false);
        }
    }
}
