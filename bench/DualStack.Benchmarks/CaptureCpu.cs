using System.Diagnostics;
using System.Text;
using DualStack.Core.Capture;
using DualStack.Core.Privacy;

namespace DualStack.Benchmarks;

/// <summary>
/// CPU time per captured exchange behind the request thread (<c>-- capture-cpu [rounds]</c>): the capture writer's
/// whole path — redaction, header rules, the SQLite insert and its commit — for the exchange the load benchmark sends
/// (a small-talk turn and the sample agent's answer, with the headers wrk and Kestrel send). Process CPU time, not wall
/// clock: on a shared machine it is what the proxy's cores spend per exchange, whatever the neighbours do.
/// </summary>
internal static class CaptureCpu
{
    private const int PerRound = 20_000;

    public static async Task RunAsync(int rounds)
    {
        var dir = Directory.CreateTempSubdirectory("capture-cpu-").FullName;
        try
        {
            await using var store = await SqliteCaptureStore.OpenAsync(Path.Combine(dir, "captures.db"), CancellationToken.None);
            await using var writer = new CaptureWriter(store, new CaptureOptions { BatchLinger = TimeSpan.Zero }, new Redactor([]));
            await RoundAsync(writer, 5_000); // warm-up: tiered JIT to the optimised code
            for (var round = 0; round < rounds; round++)
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                await RoundAsync(writer, PerRound);
                var micros = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / PerRound;
                var bytes = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)PerRound;
                Console.WriteLine($"round {round + 1}: capture writer + SQLite: {micros:F1} µs CPU per exchange, {bytes:N0} bytes allocated per exchange ({writer.Written:N0} written, {writer.Dropped} dropped)");
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task RoundAsync(CaptureWriter writer, int count)
    {
        var response = Encoding.UTF8.GetBytes("""{"conversationId":"bench-7","turnIndex":12,"reply":"Hello! How can I help you today? You can ask me about your orders, your account or our opening hours.","skillCalls":[],"memory":{"retrieved":[{"key":"name","value":"Ada"}],"written":[]},"latencyMs":1.2}""");
        for (var i = 0; i < count; i++)
        {
            var key = "bench-" + (i % 64);
            writer.TryEnqueue(new PendingExchange
            {
                Timestamp = DateTimeOffset.UtcNow,
                Method = "POST",
                Path = $"/v1/conversations/{key}/turns",
                ConversationKey = key,
                RequestHeaders = [new("Host", "127.0.0.1:5411"), new("Content-Type", "application/json"), new("Content-Length", "61")],
                RequestBody = Encoding.UTF8.GetBytes($$"""{"userId":"u-{{i % 64}}","message":"Hello there!","channel":"web"}"""),
                Status = 200,
                ResponseHeaders = [new("Content-Type", "application/json; charset=utf-8"), new("Date", "Thu, 03 Dec 2026 23:10:00 GMT"), new("Transfer-Encoding", "chunked")],
                ResponseBody = response,
                DurationMs = 1.3,
            });
            if (i % 1_000 == 999)
            {
                await writer.FlushAsync(CancellationToken.None); // never more than the queue holds
            }
        }

        await writer.FlushAsync(CancellationToken.None);
    }
}
