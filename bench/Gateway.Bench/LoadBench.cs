using System.Diagnostics;

namespace Gateway.Bench;

/// <summary>
/// Closed-loop load: a fixed number of concurrent clients sending back to back, which saturates every
/// system here (2 cores shared by the load generator, the system and the fake upstream). Rounds interleave
/// the systems (A B C … A B C …) so a burst of machine noise hits all of them; req/s is the median of the
/// rounds, latency is pooled over them. A system with two fronts gets half the clients on each.
/// </summary>
internal static class LoadBench
{
    public static async Task<List<Measurement>> RunAsync(SystemsUnderTest systems, BenchOptions options)
    {
        var results = new List<Measurement>();
        var perRound = TimeSpan.FromSeconds((double)options.Seconds / options.Rounds);
        foreach (var body in new[] { Bodies.Small, Bodies.Large })
        {
            var scenario = Scenarios.Load(body, options.Concurrency);
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} bench: {scenario}");
            var samples = systems.Targets.Select(_ => new List<double>()).ToList();
            var rates = systems.Targets.Select(_ => new List<double>()).ToList();
            var spent = systems.Targets.Select(_ => new CostSnapshot(0, 0, 0)).ToList();
            var clients = systems.Targets.Select(Client.For).ToList();
            for (var t = 0; t < clients.Count; t++)
            {
                await LoadAsync(clients[t], body, options.Concurrency, TimeSpan.FromSeconds(1)); // warm-up: JIT, pools, connections
            }
            for (var round = 0; round < options.Rounds; round++)
            {
                for (var t = 0; t < clients.Count; t++)
                {
                    var before = await CostSnapshot.ReadAsync(systems.Targets[t]);
                    var (micros, elapsed) = await LoadAsync(clients[t], body, options.Concurrency, perRound);
                    spent[t] += await CostSnapshot.ReadAsync(systems.Targets[t]) - before;
                    samples[t].AddRange(micros);
                    rates[t].Add(micros.Length / elapsed.TotalSeconds);
                }
            }
            for (var t = 0; t < clients.Count; t++)
            {
                results.Add(new Measurement(scenario, systems.Targets[t], samples[t].ToArray(), Stats.Median(rates[t]), spent[t].PerRequest(samples[t].Count)));
            }
            foreach (var client in clients.SelectMany(c => c))
            {
                client.Dispose();
            }
        }
        return results;
    }

    /// <summary>
    /// Before any figure: every system gets a short burst of every request shape, so tiered JIT, connection
    /// pools, leases and grain activations are warm and the first scenario measured is not penalised.
    /// </summary>
    public static async Task WarmUpAsync(SystemsUnderTest systems, TimeSpan perShape)
    {
        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} bench: warm-up");
        foreach (var target in systems.Targets)
        {
            var clients = Client.For(target);
            foreach (var body in new[] { Bodies.Small, Bodies.Large, Bodies.SmallStream, Bodies.LargeStream })
            {
                await LoadAsync(clients, body, 8, perShape);
            }
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static async Task<(double[] Samples, TimeSpan Elapsed)> LoadAsync(HttpClient[] clients, Body body, int concurrency, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var client = clients[worker % clients.Length];
            var samples = new List<double>();
            while (clock.Elapsed < duration)
            {
                samples.Add(await LatencyBench.TimeAsync(client, body, firstByte: false));
            }
            return samples;
        }).ToArray();
        var all = await Task.WhenAll(workers);
        return (all.SelectMany(s => s).ToArray(), clock.Elapsed);
    }
}
