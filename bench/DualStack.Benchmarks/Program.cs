using System.Diagnostics;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using DualStack.Benchmarks;
using DualStack.Core.Comparison;

if (args is ["shadow-judge", ..])
{
    await ShadowPairs.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000, args.Length > 2 ? args[2] : null);
    return;
}

if (args is ["proxy-alloc", ..])
{
    await ProxyAllocations.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3000);
    return;
}

if (args is ["capture-cpu", ..])
{
    await CaptureCpu.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5);
    return;
}

if (args is ["shadow-cpu", var stub, ..])
{
    await ShadowCpu.RunAsync(new Uri(stub), args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3);
    return;
}

if (args is ["bare-forward", var listen, var old])
{
    await BareForward.RunAsync(new Uri(listen), new Uri(old));
    return;
}

if (args is ["cpu", ..])
{
    // Throughput per CPU-second on one thread: on a shared 2-core machine wall-clock figures measure the neighbours,
    // while process CPU time (this thread plus the GC it causes) is what one core spends per comparison.
    var comparer = new ReplyComparer(new ReplyComparisonConfig());
    var turn = ComparerBenchmarks.Turn(ComparerBenchmarks.OldReply, ComparerBenchmarks.NewReply);
    var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
    for (var i = 0; i < 2_000; i++)
    {
        comparer.Compare(turn); // warm-up: tiered JIT to the optimised code
    }

    var best = 0.0;
    for (var round = 0; round < rounds; round++)
    {
        const int N = 20_000;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < N; i++)
        {
            comparer.Compare(turn);
        }

        var seconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        var perSecond = N / seconds;
        best = Math.Max(best, perSecond);
        Console.WriteLine($"round {round + 1}: reply lexical 1 KB: {perSecond:N0} comparisons per CPU-second ({1e6 / perSecond:F1} µs each, {(GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)N / 1024:F1} KB allocated each)");
    }

    Console.WriteLine($"best: {best:N0} comparisons per CPU-second (target 20,000)");
    return;
}

// In-process job for speed (CI-friendly); allocations reported. Usage: dotnet run -c Release --project bench/DualStack.Benchmarks -- --filter '*'
// `-- cpu [rounds]` prints lexical reply comparisons per CPU-second instead (see above).
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .AddDiagnoser(MemoryDiagnoser.Default)
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(ComparerBenchmarks).Assembly).Run(args, config);
