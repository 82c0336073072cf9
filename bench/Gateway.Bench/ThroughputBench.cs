using System.Diagnostics;

namespace Gateway.Bench;

/// <summary>Closed-loop load: a fixed number of concurrent clients for a fixed time; requests/s and latency under load.</summary>
internal static class ThroughputBench
{
    public static async Task<List<Measurement>> RunAsync(SystemsUnderTest systems, BenchOptions options)
    {
        var results = new List<Measurement>();
        foreach (var target in systems.Targets)
        {
            using var client = Client.For(target);
            await LoadAsync(client, options.Concurrency, TimeSpan.FromSeconds(2)); // warm-up
            var (samples, elapsed) = await LoadAsync(client, options.Concurrency, TimeSpan.FromSeconds(options.Seconds));
            results.Add(new Measurement($"non-streaming, c={options.Concurrency}", target.Name, samples, samples.Length / elapsed.TotalSeconds));
        }
        return results;
    }

    private static async Task<(double[] Samples, TimeSpan Elapsed)> LoadAsync(HttpClient client, int concurrency, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            var samples = new List<double>();
            while (clock.Elapsed < duration)
            {
                samples.Add(await LatencyBench.TimeAsync(client, LatencyBench.Small, firstByte: false));
            }
            return samples;
        }).ToArray();
        var all = await Task.WhenAll(workers);
        return (all.SelectMany(s => s).ToArray(), clock.Elapsed);
    }
}
