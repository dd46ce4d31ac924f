using System.Text;
using DualStack.Core.Routing;
using DualStack.Proxy;
using DualStack.SampleAgent;

namespace DualStack.Benchmarks;

/// <summary>
/// Bytes allocated per proxied request, in process (<c>-- proxy-alloc [requests]</c>): plain capture against capture
/// with shadow where every request belongs to an unsampled conversation, and against shadow-only (no capture). The
/// client and the backend run in the same process and allocate the same in every configuration, so the differences
/// between lines are the proxy's.
/// </summary>
internal static class ProxyAllocations
{
    public static async Task RunAsync(int requests)
    {
        await using var backend = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        var dir = Directory.CreateTempSubdirectory("proxy-alloc-").FullName;
        try
        {
            // Keys of conversations outside a 10 % sample (the same hash every instance uses).
            var unsampled = Enumerable.Range(0, 10_000).Select(i => $"bench-{i}").Where(k => !ConversationHash.IsSelected(k, 10)).Take(64).ToArray();
            var configurations = new (string Name, ProxyOptions Options)[]
            {
                ("forward only", new ProxyOptions { Old = backend.BaseAddress }),
                ("capture", new ProxyOptions { Old = backend.BaseAddress, StorePath = Path.Combine(dir, "a.db") }),
                ("capture + shadow 10 %, unsampled turns", new ProxyOptions { Old = backend.BaseAddress, StorePath = Path.Combine(dir, "b.db"), Shadow = backend.BaseAddress, ShadowSamplePercent = 10 }),
                ("shadow only (inproc judge, no capture) 10 %, unsampled turns", new ProxyOptions { Old = backend.BaseAddress, Shadow = backend.BaseAddress, ShadowSamplePercent = 10, ShadowJudge = ShadowJudgeMode.InProcess }),
            };
            for (var round = 0; round < 2; round++)
            {
                foreach (var (name, options) in configurations)
                {
                    await using var proxy = await ProxyServer.StartAsync(options with { StorePath = options.StorePath is null ? null : options.StorePath + round });
                    using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
                    await SendAsync(http, unsampled, 500); // warm-up: JIT, pools
                    await proxy.FlushAsync(CancellationToken.None);
                    var before = GC.GetTotalAllocatedBytes(precise: true);
                    await SendAsync(http, unsampled, requests);
                    await proxy.FlushAsync(CancellationToken.None);
                    var perRequest = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)requests;
                    Console.WriteLine($"round {round + 1}: {name}: {perRequest:N0} bytes allocated per request (client, backend and proxy; shadow queued {proxy.Metrics.ShadowEnqueued}, bodies copied for {proxy.BodyCopies} requests)");
                }
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task SendAsync(HttpClient http, string[] keys, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var content = new StringContent("""{"userId":"u-1","message":"Hello there!","channel":"web"}""", Encoding.UTF8, "application/json");
            using var response = await http.PostAsync($"v1/conversations/{keys[i % keys.Length]}/turns", content);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
        }
    }
}
