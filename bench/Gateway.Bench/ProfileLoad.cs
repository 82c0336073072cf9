using System.Diagnostics;

namespace Gateway.Bench;

/// <summary>
/// The <c>load</c> subcommand: one request shape against one URL at a fixed concurrency for a while, the
/// load to hold while <c>dotnet-trace</c> or <c>dotnet-counters</c> watch a front (docs/performance.md).
/// Prints req/s, latency percentiles and, given <c>--pid</c>, the CPU the process tree used per request.
/// </summary>
internal static class ProfileLoad
{
    public static async Task RunCommandAsync(string[] args)
    {
        string? Str(string name) => CommandLine.Value(args, name);
        var url = new Uri(Str("--url") ?? "http://127.0.0.1:8080/");
        var key = Str("--key") ?? "sk-bench";
        var concurrency = int.Parse(Str("--concurrency") ?? "8");
        var seconds = double.Parse(Str("--seconds") ?? "20", System.Globalization.CultureInfo.InvariantCulture);
        var body = (Str("--body") ?? "small") switch
        {
            "small" => Bodies.Small,
            "large" => Bodies.Large,
            "small-stream" => Bodies.SmallStream,
            "large-stream" => Bodies.LargeStream,
            var other => throw new ArgumentException($"--body {other}: small, large, small-stream or large-stream"),
        };
        var pids = (Str("--pid") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        var clients = Client.For(new Target(SystemKind.EverythingOn, "load", [url], key));
        // The front's exact totals (dotnet_gc_allocated_bytes_total, dotnet_threadpool_completed_work_items_total).
        var metered = new Target(SystemKind.EverythingOn, "load", [url], key) { Pids = pids, MetricsUrls = [url] };
        var costBefore = await CostSnapshot.ReadAsync(metered);
        var cpuBefore = ProcessCpu.Seconds(pids);
        var clock = Stopwatch.StartNew();
        var all = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var samples = new List<double>();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                samples.Add(await LatencyBench.TimeAsync(clients[worker % clients.Length], body, firstByte: body.Stream));
            }
            return samples;
        }));
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpu = ProcessCpu.Seconds(pids) - cpuBefore;
        var cost = (await CostSnapshot.ReadAsync(metered) - costBefore).PerRequest(all.Sum(s => s.Count));
        var micros = all.SelectMany(s => s).ToArray();
        Console.WriteLine($"{body.Name}{(body.Stream ? " streamed (first byte)" : "")}, c={concurrency}: {micros.Length} requests, {micros.Length / elapsed:0} req/s, "
            + $"p50 {Stats.Percentile(micros, 50):0} µs, p99 {Stats.Percentile(micros, 99):0} µs"
            + (pids.Length > 0 ? $", CPU {cpu * 1e6 / micros.Length:0} µs per request ({cpu / elapsed * 100:0}% of a core)" : "")
            + (cost.AllocatedBytes is { } bytes ? $", {bytes:0} bytes allocated and {cost.WorkItems:0.0} thread-pool work items per request" : ""));
    }
}
