using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace DualStack.Proxy;

/// <summary>
/// Dashboard sign-in sessions: random ids (256 bits) kept in memory with an absolute expiry. The cookie carries only the
/// id, never the admin token; signing out or a restart of the proxy ends every session it names.
/// </summary>
internal sealed class AdminSessions(TimeProvider time, TimeSpan lifetime)
{
    // Far above any real number of operators; bounds memory if something signs in in a loop.
    private const int MaxSessions = 1_000;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _expiries = new(StringComparer.Ordinal);

    /// <summary>How long a session lasts after sign-in.</summary>
    public TimeSpan Lifetime { get; } = lifetime > TimeSpan.Zero ? lifetime : throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "must be positive");

    /// <summary>Starts a session and returns its id.</summary>
    public string Create()
    {
        Purge();
        if (_expiries.Count >= MaxSessions)
        {
            // Drop the session closest to expiry rather than refuse a sign-in with the right token.
            var oldest = _expiries.MinBy(pair => pair.Value).Key;
            _expiries.TryRemove(oldest, out _);
        }

        var id = Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        _expiries[id] = time.GetUtcNow() + Lifetime;
        return id;
    }

    /// <summary>True when <paramref name="id"/> names a session that has not expired or been ended.</summary>
    public bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || !_expiries.TryGetValue(id, out var expires))
        {
            return false;
        }

        if (time.GetUtcNow() < expires)
        {
            return true;
        }

        _expiries.TryRemove(id, out _);
        return false;
    }

    /// <summary>Ends the session <paramref name="id"/> (sign-out); unknown ids are ignored.</summary>
    public void End(string? id)
    {
        if (!string.IsNullOrEmpty(id))
        {
            _expiries.TryRemove(id, out _);
        }
    }

    private void Purge()
    {
        var now = time.GetUtcNow();
        foreach (var (id, expires) in _expiries)
        {
            if (expires <= now)
            {
                _expiries.TryRemove(id, out _);
            }
        }
    }

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
