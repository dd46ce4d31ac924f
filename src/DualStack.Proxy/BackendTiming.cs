using System.Diagnostics;
using System.Net.Http;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace DualStack.Proxy;

/// <summary>
/// YARP's default transformer plus two timestamps: when the request is handed to the backend and when the backend's
/// response headers arrive. The time in between is the backend's; the rest of a request's time is the proxy's own
/// (reading the request, forwarding, copying the response, capture bookkeeping), which <c>/metrics</c> exposes as
/// <c>dualstack_proxy_added_seconds</c>. One small object per forwarded request.
/// </summary>
internal sealed class BackendTiming : HttpTransformer
{
    private long _sent;
    private long _headers;

    /// <summary>Time the backend took from the request being sent to its response headers; null when it never answered.</summary>
    public TimeSpan? Backend => _sent != 0 && _headers != 0 ? Stopwatch.GetElapsedTime(_sent, _headers) : null;

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        _sent = Stopwatch.GetTimestamp();
    }

    public override ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is not null)
        {
            _headers = Stopwatch.GetTimestamp();
        }

        return base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
    }
}
