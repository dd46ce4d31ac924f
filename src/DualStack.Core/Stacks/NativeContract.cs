using System.Text.Json;
using DualStack.Core.Model;

namespace DualStack.Core.Stacks;

/// <summary>Reads agent contract v1 bodies seen on the wire (by the capture proxy) into observations.</summary>
public static class NativeContract
{
    /// <summary>Parses a turn request body; null when it is not a v1 turn request (not JSON, no message).</summary>
    public static NativeTurnRequest? TryParseTurnRequest(ReadOnlySpan<byte> body)
    {
        try
        {
            var request = JsonSerializer.Deserialize<NativeTurnRequest>(body, DualStackJson.Options);
            return request is { Message.Length: > 0 } ? request with { Metadata = request.Metadata ?? new Dictionary<string, string>(), Channel = request.Channel ?? "web" } : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The observation a v1 turn response body stands for; an error status, a body that is not the contract or a
    /// transport error become an observation with an error, never an exception.
    /// </summary>
    public static StackObservation ParseTurnResponse(string stack, string conversationId, int turnIndex, int status, string? body, double latencyMs, string? transportError = null)
    {
        var observation = new StackObservation { Stack = stack, ConversationId = conversationId, TurnIndex = turnIndex, HttpStatus = status == 0 ? null : status, LatencyMs = latencyMs };
        return transportError is null
            ? ReadTurnResponse(observation, status, body)
            : observation with { RawResponse = ObservationErrors.Truncate(body), Error = new ObservationError(ObservationErrorKind.Connection, transportError) };
    }

    /// <summary>
    /// <paramref name="observation"/> completed from a v1 turn response's status and body, as the stack sent it: the
    /// body is kept as <see cref="StackObservation.RawResponse"/> (truncated), an error status or a body that is not
    /// the contract become an error. The one reading of a turn response, for the native adapter and the proxy alike.
    /// </summary>
    public static StackObservation ReadTurnResponse(StackObservation observation, int status, string? body)
    {
        observation = observation with { RawResponse = ObservationErrors.Truncate(body) };
        if (status is < 200 or >= 300)
        {
            return observation with { Error = ObservationErrors.FromStatus(status, body) };
        }

        try
        {
            var response = JsonSerializer.Deserialize<NativeTurnResponse>(body ?? string.Empty, DualStackJson.Options);
            return Map(observation, response);
        }
        catch (JsonException ex)
        {
            return observation with { Error = new ObservationError(ObservationErrorKind.InvalidResponse, "response is not the v1 contract: " + ObservationErrors.Snippet(ex.Message) + ObservationErrors.BodyHint(body)) };
        }
    }

    private static StackObservation Map(StackObservation observation, NativeTurnResponse? response)
    {
        if (response?.Reply is null)
        {
            return observation with
            {
                Error = new ObservationError(ObservationErrorKind.InvalidResponse, "response has no 'reply' field"),
            };
        }

        var skills = response.SkillCalls?
            .Select(s => new SkillCall { Name = s.Name ?? "(unnamed)", Arguments = s.Arguments, Status = s.Status, Result = s.Result })
            .ToArray();
        var memory = response.Memory is null
            ? null
            : new MemoryObservation
            {
                Retrieved = response.Memory.Retrieved?.Select(ToHit).ToArray(),
                Written = response.Memory.Written?.Select(ToHit).ToArray(),
            };
        return observation with
        {
            Reply = response.Reply,
            SkillCalls = skills,
            Memory = memory,
        };
    }

    private static MemoryHit ToHit(NativeMemoryHit hit) => new() { Id = hit.Id, Text = hit.Text ?? string.Empty, Score = hit.Score };
}
