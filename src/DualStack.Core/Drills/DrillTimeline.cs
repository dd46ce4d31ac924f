namespace DualStack.Core.Drills;

/// <summary>
/// Which stack served the drill's requests over time, counted in buckets of <see cref="BucketMs"/> from the start of the
/// load by each request's start time. The width is the smallest step of <see cref="BucketLadderMs"/> that keeps the drill
/// within <see cref="MaxBuckets"/> buckets: a 10 s drill keeps 100 ms resolution, an hour-long one 15 s, and drill.json
/// stays a few kilobytes whatever the load.
/// </summary>
public sealed record DrillTimeline
{
    /// <summary>Most buckets a timeline holds.</summary>
    public const int MaxBuckets = 240;

    /// <summary>Bucket widths tried, smallest first, in milliseconds.</summary>
    public static IReadOnlyList<int> BucketLadderMs { get; } = [100, 200, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];

    /// <summary>Width of one bucket in milliseconds (0 when there is no timeline).</summary>
    public int BucketMs { get; init; }

    /// <summary>Every bucket from the start of the load to its end, empty ones included, in time order.</summary>
    public IReadOnlyList<DrillBucket> Buckets { get; init; } = [];

    /// <summary>Buckets <paramref name="requests"/> by start time, from <paramref name="startedAt"/> to <paramref name="endedAt"/>.</summary>
    /// <param name="requests">Each request's start, the stack that served it (<c>old</c>, <c>new</c>, or null without a response) and whether it failed.</param>
    /// <param name="startedAt">Start of the load (offset 0).</param>
    /// <param name="endedAt">End of the load; requests after it widen the timeline.</param>
    public static DrillTimeline Build(IEnumerable<DrillRequest> requests, DateTimeOffset startedAt, DateTimeOffset endedAt)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var list = requests.ToArray();
        var lastMs = Math.Max(0, (endedAt - startedAt).TotalMilliseconds);
        foreach (var request in list)
        {
            lastMs = Math.Max(lastMs, (request.Start - startedAt).TotalMilliseconds);
        }

        // Buckets cover [0, lastMs]; a request exactly at the end joins the last bucket.
        var width = BucketLadderMs.FirstOrDefault(w => BucketCount(lastMs, w) <= MaxBuckets, BucketLadderMs[^1]);
        var count = (int)Math.Min(MaxBuckets, BucketCount(lastMs, width));
        var old = new int[count];
        var @new = new int[count];
        var other = new int[count];
        var failed = new int[count];
        foreach (var request in list)
        {
            var index = (int)Math.Clamp(Math.Floor((request.Start - startedAt).TotalMilliseconds / width), 0, count - 1);
            switch (request.Stack)
            {
                case "old": old[index]++; break;
                case "new": @new[index]++; break;
                default: other[index]++; break;
            }

            if (request.Failed)
            {
                failed[index]++;
            }
        }

        return new DrillTimeline
        {
            BucketMs = width,
            Buckets = Enumerable.Range(0, count).Select(i => new DrillBucket((long)i * width, old[i], @new[i], other[i], failed[i])).ToArray(),
        };
    }

    private static double BucketCount(double lastMs, int width) => Math.Max(1, Math.Ceiling(lastMs / width));
}

/// <summary>Requests started within one bucket of a <see cref="DrillTimeline"/>.</summary>
/// <param name="AtMs">Bucket start, milliseconds after the load started.</param>
/// <param name="Old">Served by the old stack.</param>
/// <param name="New">Served by the new stack.</param>
/// <param name="Other">No stack answered (connection failure, timeout).</param>
/// <param name="Failed">Of all the bucket's requests, those the client saw fail (non-2xx or no response).</param>
public sealed record DrillBucket(long AtMs, int Old, int New, int Other, int Failed);

/// <summary>One request of a drill's load, as the timeline counts it.</summary>
/// <param name="Start">When it was sent.</param>
/// <param name="Stack">The stack that served it (<c>X-DualStack-Stack</c>), or null.</param>
/// <param name="Failed">True when the client saw it fail.</param>
public readonly record struct DrillRequest(DateTimeOffset Start, string? Stack, bool Failed);
