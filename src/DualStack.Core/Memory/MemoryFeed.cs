using System.Globalization;
using System.Runtime.CompilerServices;
using DualStack.Core.Stacks;
using Refit;

namespace DualStack.Core.Memory;

/// <summary>One page of the change feed as read: entries in write order and the cursor after them.</summary>
internal sealed record MemoryFeedPage(IReadOnlyList<NativeMemoryEntry> Entries, string? Cursor);

/// <summary>An entry to upsert and where it came from (a line number for restores, else its index).</summary>
internal readonly record struct PendingUpsert(NativeMemoryEntry Entry, long Origin);

/// <summary>
/// Calls of the memory API with a per-request timeout, every failure turned into a one-line
/// <see cref="MemorySyncException"/>. The only place that talks HTTP for memory sync.
/// </summary>
internal sealed class MemoryFeed(MemorySyncOptions options, TimeProvider time)
{
    /// <summary>One page after <paramref name="since"/>; checks that every entry has an id.</summary>
    public async Task<MemoryFeedPage> GetPageAsync(MemoryClient client, string? userId, string? since, int limit, CancellationToken cancellationToken)
    {
        const string operation = "GET /v1/memory";
        using var timeout = new CancellationTokenSource(options.RequestTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        NativeMemoryPage? page;
        try
        {
            using var response = await client.Api.GetMemoryAsync(userId, since, limit, linked.Token).ConfigureAwait(false);
            if (response.Error is { } error)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw Failure(client, operation, error, timeout.IsCancellationRequested);
            }

            page = response.Content;
        }
        catch (Exception ex) when (ex is not MemorySyncException && !cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            throw Failure(client, operation, ex, timeout.IsCancellationRequested);
        }

        if (page is null)
        {
            throw new MemorySyncException($"{client.Name}: {operation} answered an empty body, not a memory page");
        }

        var entries = page.Entries ?? [];
        foreach (var entry in entries)
        {
            if (string.IsNullOrEmpty(entry.Id))
            {
                throw new MemorySyncException($"{client.Name}: {operation} returned an entry without 'id' (user '{entry.UserId}'); contract v1 requires one");
            }
        }

        var cursor = string.IsNullOrEmpty(page.Cursor) ? since : page.Cursor;
        if (entries.Count > 0 && cursor == since)
        {
            // A page with entries must move the cursor, or paging would never end.
            throw new MemorySyncException($"{client.Name}: {operation} returned {entries.Count.ToString(CultureInfo.InvariantCulture)} entries after cursor '{since}' without advancing the cursor");
        }

        return new MemoryFeedPage(entries, cursor);
    }

    /// <summary>Every entry after <paramref name="since"/> page by page, ending when a page is empty and the cursor stays put.</summary>
    public async IAsyncEnumerable<MemoryFeedPage> ReadPagesAsync(MemoryClient client, string? userId, string? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var cursor = since;
        while (true)
        {
            var page = await GetPageAsync(client, userId, cursor, options.PageSize, cancellationToken).ConfigureAwait(false);
            if (page.Entries.Count == 0 && page.Cursor == cursor)
            {
                yield break;
            }

            yield return page;
            cursor = page.Cursor;
        }
    }

    /// <summary>Every entry of the stack in write order (an entry changed while reading may come twice: the later one counts).</summary>
    public async IAsyncEnumerable<NativeMemoryEntry> ReadAllAsync(MemoryClient client, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var page in ReadPagesAsync(client, userId: null, since: null, cancellationToken).ConfigureAwait(false))
        {
            foreach (var entry in page.Entries)
            {
                yield return entry;
            }
        }
    }

    /// <summary>A cheap request proving the stack answers the memory API (one entry at most).</summary>
    public Task ProbeAsync(MemoryClient client, CancellationToken cancellationToken) =>
        GetPageAsync(client, userId: null, since: null, limit: 1, cancellationToken);

    /// <summary>
    /// Upserts a batch with <see cref="MemorySyncOptions.Concurrency"/> requests in flight. When an id repeats, only its
    /// last occurrence is sent (upserts are last-writer-wins, and parallel requests would race). A 4xx (other than 408/429)
    /// rejects that entry and is returned; anything else that fails stops the batch and throws.
    /// </summary>
    /// <returns>The rejected entries with their failures; the number applied is the distinct ids minus those.</returns>
    public async Task<(int Applied, IReadOnlyList<(PendingUpsert Upsert, MemorySyncException Error)> Rejected)> ApplyAsync(MemoryClient client, IReadOnlyList<PendingUpsert> batch, CancellationToken cancellationToken)
    {
        var last = new Dictionary<string, int>(batch.Count, StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            last[batch[i].Entry.Id!] = i;
        }

        var work = last.Values.Order().Select(i => batch[i]).ToArray();
        var rejected = new List<(PendingUpsert, MemorySyncException)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? failure = null;
        var next = -1;

        async Task WorkerAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < work.Length && !stop.IsCancellationRequested)
            {
                try
                {
                    await PutAsync(client, work[i].Entry, stop.Token).ConfigureAwait(false);
                }
                catch (MemorySyncException ex) when (ex is { Transient: false, Status: >= 400 and < 500 })
                {
                    lock (rejected)
                    {
                        rejected.Add((work[i], ex));
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    Interlocked.CompareExchange(ref failure, ex, null);
                    await stop.CancelAsync().ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        var workers = Enumerable.Range(0, Math.Min(options.Concurrency, Math.Max(1, work.Length))).Select(_ => WorkerAsync()).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        if (failure is not null)
        {
            throw failure;
        }

        cancellationToken.ThrowIfCancellationRequested();
        rejected.Sort((x, y) => x.Item1.Origin.CompareTo(y.Item1.Origin));
        return (work.Length - rejected.Count, rejected);
    }

    private async Task PutAsync(MemoryClient client, NativeMemoryEntry entry, CancellationToken cancellationToken)
    {
        var operation = "PUT /v1/memory/" + entry.Id;
        using var timeout = new CancellationTokenSource(options.RequestTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            // The id travels in the path only: the body is exactly the contract's upsert request.
            using var response = await client.Api.PutMemoryAsync(entry.Id!, entry with { Id = null }, linked.Token).ConfigureAwait(false);
            if (response.Error is { } error)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw Failure(client, operation, error, timeout.IsCancellationRequested);
            }
        }
        catch (Exception ex) when (ex is not MemorySyncException && !cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            throw Failure(client, operation, ex, timeout.IsCancellationRequested);
        }
    }

    private MemorySyncException Failure(MemoryClient client, string operation, Exception exception, bool timedOut)
    {
        if (exception is ApiException api)
        {
            var status = (int)api.StatusCode;
            if (api.StatusCode is >= System.Net.HttpStatusCode.OK and < System.Net.HttpStatusCode.MultipleChoices)
            {
                var reason = api.InnerException?.Message ?? api.Message;
                return new MemorySyncException($"{client.Name}: {operation} answered {status} but not with contract v1 memory JSON: {ObservationErrors.Snippet(reason.Split(" Path:", 2)[0], 160)}", status: status, inner: api);
            }

            var body = string.IsNullOrWhiteSpace(api.Content) ? string.Empty : ": " + ObservationErrors.Snippet(api.Content, 200);
            var transient = status is >= 500 or 408 or 429;
            return new MemorySyncException($"{client.Name}: {operation} answered {status}{body}", transient, status, api);
        }

        var cause = exception is ApiExceptionBase { InnerException: { } inner } ? inner : exception;
        var error = ObservationErrors.FromException(cause, timedOut, options.RequestTimeout);
        var message = error.Kind switch
        {
            Model.ObservationErrorKind.Timeout => $"{client.Name}: {operation} timed out: {error.Message}",
            Model.ObservationErrorKind.Connection => $"cannot reach {client.Name} ({operation}): {error.Message}",
            _ => $"{client.Name}: {operation} failed: {error.Message}",
        };
        return new MemorySyncException(message, transient: error.Kind is Model.ObservationErrorKind.Timeout or Model.ObservationErrorKind.Connection, inner: exception);
    }
}
