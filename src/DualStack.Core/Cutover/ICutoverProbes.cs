using System.Net;
using System.Net.Security;
using DualStack.Core.Routing;

namespace DualStack.Core.Cutover;

/// <summary>
/// Everything the cutover gate asks the outside world, one call per kind of probe; the gate turns the answers into
/// checks (<see cref="CutoverChecks"/>) and every failure into a failed check. <see cref="NetworkCutoverProbes"/> asks
/// over the network; tests answer without one. A probe may throw: the gate describes the error in the check's evidence.
/// </summary>
internal interface ICutoverProbes
{
    /// <summary>The proxy's split status (admin API: split, windows, counters since the last split change).</summary>
    Task<SplitStatus> GetSplitStatusAsync(CancellationToken cancellationToken);

    /// <summary>The status code of <c>GET <paramref name="uri"/></c> (headers only).</summary>
    Task<HttpStatusCode> GetStatusAsync(Uri uri, CancellationToken cancellationToken);

    /// <summary>The addresses <paramref name="host"/> resolves to.</summary>
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);

    /// <summary>What a TLS handshake with <paramref name="url"/>'s host and port showed of its certificate; null when it sent none.</summary>
    Task<TlsCertificateFacts?> HandshakeAsync(Uri url, CancellationToken cancellationToken);

    /// <summary>The conversations with at least one memory entry created at or after <paramref name="since"/> on the stack at <paramref name="stackUrl"/>.</summary>
    Task<IReadOnlySet<string>> ConversationsWithMemoryAsync(string stackUrl, DateTimeOffset since, CancellationToken cancellationToken);
}

/// <summary>A server certificate as a TLS client saw it.</summary>
/// <param name="Subject">The certificate's subject.</param>
/// <param name="NotBefore">Start of validity (UTC).</param>
/// <param name="NotAfter">End of validity (UTC).</param>
/// <param name="Problems">What the client's validation found (chain, host name); <see cref="SslPolicyErrors.None"/> when valid.</param>
/// <param name="ChainProblems">The chain statuses behind chain errors, comma-separated; empty when none.</param>
internal sealed record TlsCertificateFacts(string Subject, DateTimeOffset NotBefore, DateTimeOffset NotAfter, SslPolicyErrors Problems, string ChainProblems);
