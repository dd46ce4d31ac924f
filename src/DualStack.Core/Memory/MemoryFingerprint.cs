using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using DualStack.Core.Stacks;

namespace DualStack.Core.Memory;

/// <summary>
/// 64 bits of SHA-256 over an entry's user, text and conversation: what "same content" means for diff and merge
/// (<c>createdAt</c> is not part of it). Two different contents of the same id collide with probability 2⁻⁶⁴.
/// </summary>
internal static class MemoryFingerprint
{
    public static ulong Of(NativeMemoryEntry entry)
    {
        var userId = entry.UserId ?? string.Empty;
        var text = entry.Text ?? string.Empty;
        var conversation = entry.ConversationId;
        var length = Encoding.UTF8.GetMaxByteCount(userId.Length + text.Length + (conversation?.Length ?? 0)) + 3;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var n = Encoding.UTF8.GetBytes(userId, rented);
            rented[n++] = 0;
            n += Encoding.UTF8.GetBytes(text, rented.AsSpan(n));
            rented[n++] = 0;
            if (conversation is null)
            {
                // null and "" are different conversations.
                rented[n++] = 1;
            }
            else
            {
                n += Encoding.UTF8.GetBytes(conversation, rented.AsSpan(n));
            }

            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(rented.AsSpan(0, n), hash);
            return BinaryPrimitives.ReadUInt64LittleEndian(hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}

/// <summary>
/// Id → (user, fingerprint) of every entry of one stack: what <c>memory diff</c> holds in memory. User ids are
/// interned, so the cost is the id string plus about 60 bytes of dictionary slot and value per entry.
/// </summary>
internal sealed class MemoryIndex
{
    private readonly Dictionary<string, string> _users = new(StringComparer.Ordinal);

    public Dictionary<string, (string UserId, ulong Fingerprint)> Entries { get; } = new(StringComparer.Ordinal);

    public void Add(NativeMemoryEntry entry)
    {
        var userId = entry.UserId ?? string.Empty;
        if (!_users.TryGetValue(userId, out var interned))
        {
            _users[userId] = interned = userId;
        }

        // The feed may list an entry twice when it changed while being read; the later version is the current one.
        Entries[entry.Id!] = (interned, MemoryFingerprint.Of(entry));
    }
}
