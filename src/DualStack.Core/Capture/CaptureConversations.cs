using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using DualStack.Core.Model;

namespace DualStack.Core.Capture;

/// <summary>Turns captured exchanges back into conversations that the replayer can send to both stacks.</summary>
public static class CaptureConversations
{
    /// <summary>
    /// Groups the store's successful turn requests by conversation key, turns in capture order. A turn request is a
    /// <c>POST</c> to one of <paramref name="turnRoutes"/> that got a 2xx response, with a JSON body in the shape of
    /// agent contract v1 (<c>message</c>, optional <c>userId</c>, <c>channel</c>, <c>metadata</c>) or of an OpenAI chat
    /// request (the last <c>user</c> message's content). Exchanges without a key, other requests, failed requests and
    /// truncated or unreadable bodies are skipped. Conversations come out in the order of their first turn, once the
    /// whole store has been read (all turns are held in memory until then).
    /// </summary>
    /// <param name="store">The capture store.</param>
    /// <param name="turnRoutes">Route templates of turn requests, e.g. <c>/v1/conversations/{id}/turns</c> and <c>/v1/chat/completions</c>.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public static async IAsyncEnumerable<Conversation> ReadAsync(ICaptureStore store, IReadOnlyList<string> turnRoutes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(turnRoutes);

        var order = new List<Builder>();
        var byKey = new Dictionary<string, Builder>(StringComparer.Ordinal);
        await foreach (var exchange in store.ReadAsync(0, null, cancellationToken).ConfigureAwait(false))
        {
            if (exchange.ConversationKey is not { Length: > 0 } key || !TryReadTurn(exchange, turnRoutes, out var turn))
            {
                continue;
            }

            if (!byKey.TryGetValue(key, out var builder))
            {
                builder = new Builder(key, turn.UserId ?? "u-" + key, turn.Channel ?? "web");
                byKey.Add(key, builder);
                order.Add(builder);
            }

            builder.Turns.Add(turn.Turn);
        }

        foreach (var builder in order)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new Conversation
            {
                Id = builder.Id,
                UserId = builder.UserId,
                Channel = builder.Channel,
                Source = ConversationSource.Recorded,
                Tags = ["captured"],
                Turns = builder.Turns,
            };
        }
    }

    /// <summary>Reads one turn from a successful turn request; false for anything else.</summary>
    internal static bool TryReadTurn(CapturedExchange exchange, IReadOnlyList<string> turnRoutes, out CapturedTurn turn)
    {
        turn = default;
        if (!string.Equals(exchange.Method, "POST", StringComparison.OrdinalIgnoreCase)
            || exchange.Status is < 200 or > 299
            || exchange.Error is not null
            || exchange.RequestTruncated
            || string.IsNullOrEmpty(exchange.RequestBody)
            || !ConversationKeyExtractor.IsTurnRoute(exchange.Path, turnRoutes))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(exchange.RequestBody, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            var message = GetString(root, "message") ?? LastUserMessage(root);
            if (string.IsNullOrEmpty(message))
            {
                return false;
            }

            turn = new CapturedTurn(
                new Turn { Message = message, Metadata = ReadMetadata(root) },
                GetString(root, "userId"),
                GetString(root, "channel"));
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string? GetString(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;

    /// <summary>OpenAI chat shape: content of the last <c>role: user</c> message (a string, or the text parts joined by newlines).</summary>
    private static string? LastUserMessage(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        for (var i = messages.GetArrayLength() - 1; i >= 0; i--)
        {
            var message = messages[i];
            if (message.ValueKind != JsonValueKind.Object || GetString(message, "role") != "user" || !message.TryGetProperty("content", out var content))
            {
                continue;
            }

            if (content.ValueKind == JsonValueKind.String)
            {
                return content.GetString();
            }

            if (content.ValueKind == JsonValueKind.Array)
            {
                var text = new StringBuilder();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object && GetString(part, "type") == "text" && GetString(part, "text") is { } partText)
                    {
                        text.Append(text.Length > 0 ? "\n" : string.Empty).Append(partText);
                    }
                }

                return text.ToString();
            }

            return null;
        }

        return null;
    }

    private static Dictionary<string, string> ReadMetadata(JsonElement root)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("metadata", out var value) && value.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in value.EnumerateObject())
            {
                metadata[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            }
        }

        return metadata;
    }

    /// <summary>A turn read from a request, with the user and channel it named (null when absent).</summary>
    internal readonly record struct CapturedTurn(Turn Turn, string? UserId, string? Channel);

    private sealed class Builder(string id, string userId, string channel)
    {
        public string Id { get; } = id;

        public string UserId { get; } = userId;

        public string Channel { get; } = channel;

        public List<Turn> Turns { get; } = [];
    }
}
