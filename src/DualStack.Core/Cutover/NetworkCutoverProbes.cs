using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using DualStack.Core.Memory;
using DualStack.Core.Routing;

namespace DualStack.Core.Cutover;

/// <summary>The cutover gate's probes over the network: the proxy's admin API, HTTP, DNS, a TLS handshake and the stacks' memory API.</summary>
internal sealed class NetworkCutoverProbes : ICutoverProbes
{
    private readonly ISplitAdminApi _admin;
    private readonly HttpClient _http;
    private readonly Func<string, Task<IPAddress[]>> _dns;
    private readonly MemoryFeed _memory;
    private readonly X509Certificate2? _trustedRoot;

    /// <param name="admin">The proxy's admin API.</param>
    /// <param name="http">Client for absolute URLs.</param>
    /// <param name="dns">Resolves a host name, e.g. <see cref="Dns.GetHostAddressesAsync(string)"/>.</param>
    /// <param name="time">Clock for the memory API's paging.</param>
    /// <param name="requestTimeout">Limit of each memory page request.</param>
    /// <param name="trustedRoot">An extra root the TLS chain may end in (tests); null for the system's roots only.</param>
    public NetworkCutoverProbes(ISplitAdminApi admin, HttpClient http, Func<string, Task<IPAddress[]>> dns, TimeProvider time, TimeSpan requestTimeout, X509Certificate2? trustedRoot)
    {
        _admin = admin;
        _http = http;
        _dns = dns;
        _trustedRoot = trustedRoot;
        // The memory API's own paging (one implementation, shared with `memory snapshot|diff|merge` and the drills).
        _memory = new MemoryFeed(new MemorySyncOptions { RequestTimeout = requestTimeout }, time);
    }

    public Task<SplitStatus> GetSplitStatusAsync(CancellationToken cancellationToken) => _admin.GetStateAsync(cancellationToken);

    public async Task<HttpStatusCode> GetStatusAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        return response.StatusCode;
    }

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => _dns(host).WaitAsync(cancellationToken);

    public Task<TlsCertificateFacts?> HandshakeAsync(Uri url, CancellationToken cancellationToken) => HandshakeAsync(url, _trustedRoot, cancellationToken);

    public async Task<IReadOnlySet<string>> ConversationsWithMemoryAsync(string stackUrl, DateTimeOffset since, CancellationToken cancellationToken)
    {
        using var stack = MemoryClient.Create(stackUrl);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var entry in _memory.ReadAllAsync(stack, cancellationToken).ConfigureAwait(false))
        {
            if (!string.IsNullOrEmpty(entry.ConversationId) && entry.CreatedAt is { } createdAt && createdAt >= since)
            {
                ids.Add(entry.ConversationId);
            }
        }

        return ids;
    }

    /// <summary>Connects to <paramref name="url"/>'s host and port, completes a TLS handshake and reports the certificate; sends nothing.</summary>
    internal static async Task<TlsCertificateFacts?> HandshakeAsync(Uri url, X509Certificate2? trustedRoot, CancellationToken cancellationToken)
    {
        X509Certificate2? certificate = null;
        var problems = SslPolicyErrors.None;
        var chainProblems = string.Empty;
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(url.Host, url.Port, cancellationToken).ConfigureAwait(false);
            using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = url.IdnHost,
                    RemoteCertificateValidationCallback = (_, cert, chain, errors) =>
                    {
                        // Accept to look at it; nothing is sent over this connection.
                        certificate = cert is null ? null : X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
                        problems = errors;
                        chainProblems = chain is null ? string.Empty : string.Join(", ", chain.ChainStatus.Select(s => s.Status).Distinct());
                        return true;
                    },
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            certificate?.Dispose();
            throw;
        }

        using (certificate)
        {
            if (certificate is null)
            {
                return null;
            }

            if (trustedRoot is not null && problems == SslPolicyErrors.RemoteCertificateChainErrors && ChainsTo(certificate, trustedRoot))
            {
                problems = SslPolicyErrors.None;
                chainProblems = string.Empty;
            }

            return new TlsCertificateFacts(
                certificate.Subject,
                new DateTimeOffset(certificate.NotBefore.ToUniversalTime()),
                new DateTimeOffset(certificate.NotAfter.ToUniversalTime()),
                problems,
                chainProblems);
        }
    }

    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
