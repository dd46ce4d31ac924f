using BenchmarkDotNet.Attributes;
using DualStack.Core.Capture;

namespace DualStack.Benchmarks;

/// <summary>
/// Capture throughput into each store: one batch of 256 exchanges (~1 KB bodies) as the capture writer appends it —
/// SQLite (WAL, prepared insert, one transaction) vs PostgreSQL (one binary COPY). PostgreSQL needs
/// <c>DUALSTACK_BENCH_PG</c> (a connection string to a scratch database); see <c>bench/capture-store.sh</c>.
/// </summary>
[MemoryDiagnoser]
public class CaptureStoreBenchmarks
{
    private const int Batch = 256;
    private ICaptureStore _store = null!;
    private CapturedExchange[] _batch = null!;
    private string? _directory;

    [Params("sqlite", "postgres")]
    public string Store { get; set; } = "sqlite";

    [GlobalSetup]
    public async Task Setup()
    {
        var body = new string('x', 900);
        _batch = Enumerable.Range(0, Batch).Select(i => new CapturedExchange
        {
            Timestamp = DateTimeOffset.UtcNow,
            Method = "POST",
            Path = $"/v1/conversations/c-{i % 50}/turns",
            ConversationKey = $"c-{i % 50}",
            RequestHeaders = new Dictionary<string, string> { ["Content-Type"] = "application/json" },
            RequestBody = $$"""{"userId":"u-{{i}}","message":"{{body}}"}""",
            Status = 200,
            ResponseHeaders = new Dictionary<string, string> { ["Content-Type"] = "application/json" },
            ResponseBody = $$"""{"reply":"{{body}}"}""",
            DurationMs = 3.5,
        }).ToArray();
        if (Store == "postgres")
        {
            var connection = Environment.GetEnvironmentVariable("DUALSTACK_BENCH_PG")
                ?? throw new InvalidOperationException("set DUALSTACK_BENCH_PG to a scratch PostgreSQL database (bench/capture-store.sh starts one)");
            _store = await PostgresCaptureStore.OpenAsync(connection, CancellationToken.None);
        }
        else
        {
            _directory = Directory.CreateTempSubdirectory("bench-sqlite-").FullName;
            _store = await SqliteCaptureStore.OpenAsync(Path.Combine(_directory, "captures.db"), CancellationToken.None);
        }
    }

    /// <summary>Appends one batch of 256 exchanges; exchanges/s = 256 / mean.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public Task AppendBatch() => _store.AppendAsync(_batch, CancellationToken.None);

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _store.DisposeAsync();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
