using System.Net.Sockets;
using System.Text.Json;
using DualStack.Core.Model;

namespace DualStack.Core.Stacks;

/// <summary>Turns whatever went wrong talking to a stack into an <see cref="ObservationError"/>.</summary>
internal static class ObservationErrors
{
    public static ObservationError FromException(Exception exception, bool timedOut, TimeSpan timeout) => exception switch
    {
        OperationCanceledException when timedOut => new(ObservationErrorKind.Timeout, $"no answer within {timeout.TotalSeconds:0.###} s"),
        OperationCanceledException => new(ObservationErrorKind.Cancelled, "cancelled"),
        HttpRequestException { InnerException: SocketException socket } => new(ObservationErrorKind.Connection, $"{socket.SocketErrorCode}: {socket.Message}"),
        HttpRequestException http when http.StatusCode is null => new(ObservationErrorKind.Connection, http.Message),
        JsonException json => new(ObservationErrorKind.InvalidResponse, "response is not valid JSON: " + json.Message),
        IOException io => new(ObservationErrorKind.Connection, io.Message),
        _ => new(ObservationErrorKind.InvalidResponse, exception.GetType().Name + ": " + exception.Message),
    };

    public static ObservationError FromStatus(int status, string? body) =>
        new(ObservationErrorKind.HttpStatus, $"HTTP {status}" + (string.IsNullOrWhiteSpace(body) ? string.Empty : ": " + Snippet(body)));

    /// <summary>" (body starts: …)" with the first 80 characters of a body, or nothing for an empty one.</summary>
    public static string BodyHint(string? body) => string.IsNullOrWhiteSpace(body) ? string.Empty : $" (body starts: {Snippet(body, 80)})";

    public static string Snippet(string text, int max = 200)
    {
        var oneLine = text.ReplaceLineEndings(" ").Trim();
        return oneLine.Length <= max ? oneLine : oneLine[..max] + "…";
    }

    public static string? Truncate(string? text, int max = 64 * 1024) =>
        text is null || text.Length <= max ? text : text[..max];
}
