using System.Net.Http.Headers;
using System.Text.Json;
using DualStack.Core.Model;
using Refit;

namespace DualStack.Core.Stacks;

/// <summary>Adapter for agent contract v1: replies, skill calls and memory are all observed.</summary>
internal sealed class NativeAgentStack : IAgentStack
{
    private static readonly RefitSettings Settings = new(new SystemTextJsonContentSerializer(DualStackJson.Options));

    private readonly HttpClient _client;
    private readonly INativeAgentApi _api;
    private readonly TimeProvider _time;
    private readonly StackEnvironment? _environment;

    public NativeAgentStack(string name, HttpClient client, TimeProvider timeProvider, TimeSpan? turnTimeout = null, StackEnvironment? environment = null)
    {
        _environment = environment;
        Name = name;
        _client = client;
        _api = RestService.For<INativeAgentApi>(client, Settings);
        _time = timeProvider;
        TurnTimeout = turnTimeout ?? TimeSpan.FromSeconds(30);
    }

    public string Name { get; }

    public Uri BaseAddress => _client.BaseAddress!;

    public TimeSpan TurnTimeout { get; init; }

    /// <summary>The Refit client, for memory sync and admin tools.</summary>
    public INativeAgentApi Api => _api;

    public async ValueTask<StackObservation> SendTurnAsync(TurnRequest request, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var observation = new StackObservation { Stack = Name, ConversationId = request.ConversationId, TurnIndex = request.TurnIndex, Environment = _environment };
        using var timeout = new CancellationTokenSource(TurnTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            // The turn, the adapter's hot path (replay, shadow), is sent without Refit: the body serialised once into
            // bytes sent with their length (Refit streamed it chunked through JsonContent and built the request by
            // reflection on every call), the conversation id escaped in the path as Refit escaped it.
            var body = JsonSerializer.SerializeToUtf8Bytes(new NativeTurnRequest(request.UserId, request.Message, request.Channel, request.Metadata), DualStackJson.Options);
            using var message = new HttpRequestMessage(HttpMethod.Post, "v1/conversations/" + Uri.EscapeDataString(request.ConversationId) + "/turns")
            {
                Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json", "utf-8") } },
            };
            using var response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            return NativeContract.ReadTurnResponse(observation with { HttpStatus = status, LatencyMs = _time.GetElapsedTime(started).TotalMilliseconds }, status, text);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var timedOut = timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
            return observation with
            {
                LatencyMs = _time.GetElapsedTime(started).TotalMilliseconds,
                Error = ObservationErrors.FromException(ex, timedOut, TurnTimeout),
            };
        }
    }

    public async Task<StackHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await _api.GetHealthAsync(linked.Token).ConfigureAwait(false);
            var latency = _time.GetElapsedTime(started).TotalMilliseconds;
            switch (response.Error)
            {
                case ApiException api:
                    return new StackHealth(false, response.IsSuccessStatusCode ? "health answer is not JSON" + ObservationErrors.BodyHint(api.Content) : $"HTTP {(int)api.StatusCode}" + ObservationErrors.BodyHint(api.Content), null, latency);
                case { } other:
                    var failure = ObservationErrors.FromException(other.InnerException ?? other, timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested, TimeSpan.FromSeconds(10));
                    return new StackHealth(false, failure.Message, null, latency);
            }

            var status = response.Content?.Status ?? "unknown";
            return new StackHealth(string.Equals(status, "ok", StringComparison.OrdinalIgnoreCase), status, response.Content?.Version, latency);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var error = ObservationErrors.FromException(ex, timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested, TimeSpan.FromSeconds(10));
            return new StackHealth(false, error.Message, null, _time.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    public void Dispose() => _client.Dispose();
}
