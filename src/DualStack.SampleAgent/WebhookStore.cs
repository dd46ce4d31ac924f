namespace DualStack.SampleAgent;

/// <summary>Received webhooks in arrival order; keeps the newest <see cref="Capacity"/>.</summary>
internal sealed class WebhookStore
{
    public const int Capacity = 10_000;

    private readonly Lock _gate = new();
    private readonly Queue<WebhookDto> _received = new();

    public void Add(WebhookDto webhook)
    {
        lock (_gate)
        {
            if (_received.Count == Capacity)
            {
                _received.Dequeue();
            }

            _received.Enqueue(webhook);
        }
    }

    public IReadOnlyList<WebhookDto> List()
    {
        lock (_gate)
        {
            return [.. _received];
        }
    }
}
