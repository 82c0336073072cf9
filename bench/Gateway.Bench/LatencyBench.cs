using System.Buffers;
using System.Diagnostics;
using System.Net.Http.Headers;

namespace Gateway.Bench;

/// <summary>
/// Sequential (concurrency 1) latency: the same request sent to every system in turn, interleaved request
/// by request, so all see the same machine noise. Non-streaming: full response time. Streaming: time to the
/// first SSE byte. A system with two fronts alternates between them.
/// </summary>
internal static class LatencyBench
{
    public static async Task<List<Measurement>> RunAsync(SystemsUnderTest systems, BenchOptions options)
    {
        var clients = systems.Targets.Select(Client.For).ToList();
        var results = new List<Measurement>();
        foreach (var body in new[] { Bodies.Small, Bodies.Large, Bodies.SmallStream, Bodies.LargeStream })
        {
            var scenario = Scenarios.Latency(body);
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} bench: {scenario}");
            var samples = systems.Targets.Select(_ => new double[options.Requests]).ToList();
            for (var i = -options.Warmup; i < options.Requests; i++)
            {
                for (var t = 0; t < clients.Count; t++)
                {
                    var client = clients[t][(i + options.Warmup) % clients[t].Length];
                    var micros = await TimeAsync(client, body, firstByte: body.Stream);
                    if (i >= 0)
                    {
                        samples[t][i] = micros;
                    }
                }
            }
            for (var t = 0; t < clients.Count; t++)
            {
                results.Add(new Measurement(scenario, systems.Targets[t], samples[t]));
            }
        }
        results.AddRange(await BackToBackAsync(systems, clients, options));
        foreach (var idleMs in IdleGapsMs)
        {
            results.AddRange(await AfterIdleAsync(systems, clients, options, idleMs));
        }
        foreach (var client in clients.SelectMany(c => c))
        {
            client.Dispose();
        }
        return results;
    }

    /// <summary>
    /// The small request at c=1 again, but each system gets a block of requests in a row (blocks rotate
    /// between systems, so noise is still shared). Interleaved, a system's threads fall asleep while the
    /// others are measured and every request pays for waking them; an event-loop proxy (nginx) has no
    /// such hand-offs. Back to back shows the cost of the work itself, the way a busy front runs.
    /// </summary>
    private static Task<List<Measurement>> BackToBackAsync(SystemsUnderTest systems, List<HttpClient[]> clients, BenchOptions options)
    {
        const int Blocks = 10;
        return InBlocksAsync(systems, clients, Scenarios.BackToBack(Bodies.Small), Blocks,
            perBlock: Math.Max(1, options.Requests / Blocks), warmPerBlock: options.Warmup / Blocks, idleMs: 0);
    }

    /// <summary>The idle gaps of <see cref="AfterIdleAsync"/>: about one interleaved round of the c=1 scenario, and a quiet user.</summary>
    public static readonly int[] IdleGapsMs = [1, 20];

    /// <summary>
    /// The small request at c=1, each one sent after the whole machine sat idle for <paramref name="idleMs"/>
    /// (a sleep in the bench; blocks per system, rotated). Back to back is the system warm; this is what a lone
    /// user's request meets on a quiet front: threads asleep, caches and CPUs gone cold. The direct row shows
    /// what waking costs the fake upstream itself (a .NET server too), and the bare forwarder what it costs any
    /// Kestrel + YARP process on the machine.
    /// </summary>
    private static Task<List<Measurement>> AfterIdleAsync(SystemsUnderTest systems, List<HttpClient[]> clients, BenchOptions options, int idleMs)
    {
        const int Blocks = 5;
        return InBlocksAsync(systems, clients, Scenarios.AfterIdle(Bodies.Small, idleMs), Blocks,
            perBlock: Math.Max(10, options.Requests / 5 / Blocks), warmPerBlock: 3, idleMs);
    }

    /// <summary>
    /// The small request, each system's in blocks of <paramref name="perBlock"/> in a row after <paramref name="warmPerBlock"/>
    /// unmeasured ones, blocks rotating between the systems; each request after <paramref name="idleMs"/> of sleep (0: none).
    /// </summary>
    private static async Task<List<Measurement>> InBlocksAsync(SystemsUnderTest systems, List<HttpClient[]> clients, string scenario,
        int blocks, int perBlock, int warmPerBlock, int idleMs)
    {
        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} bench: {scenario}");
        var samples = systems.Targets.Select(_ => new double[perBlock * blocks]).ToList();
        for (var block = 0; block < blocks; block++)
        {
            for (var t = 0; t < clients.Count; t++)
            {
                for (var i = -warmPerBlock; i < perBlock; i++)
                {
                    if (idleMs > 0)
                    {
                        // A blocking sleep: the bench's own thread must not be the one that wakes late.
                        Thread.Sleep(idleMs);
                    }
                    var client = clients[t][(i + perBlock) % clients[t].Length];
                    var micros = await TimeAsync(client, Bodies.Small, firstByte: false);
                    if (i >= 0)
                    {
                        samples[t][block * perBlock + i] = micros;
                    }
                }
            }
        }
        return systems.Targets.Select((target, t) => new Measurement(scenario, target, samples[t])).ToList();
    }

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public static HttpRequestMessage Request(Body body)
    {
        var content = new ByteArrayContent(body.Json);
        content.Headers.ContentType = Json;
        return new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = content };
    }

    /// <summary>One request; µs to the whole response, or to its first body byte.</summary>
    public static async Task<double> TimeAsync(HttpClient client, Body body, bool firstByte)
    {
        using var request = Request(body);
        var start = Stopwatch.GetTimestamp();
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        // Pooled: at tens of thousands of requests/s the generator's own garbage would compete with the systems.
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            var read = await stream.ReadAsync(buffer);
            var elapsed = Stopwatch.GetElapsedTime(start);
            if (!response.IsSuccessStatusCode || read == 0)
            {
                throw new InvalidOperationException($"{client.BaseAddress}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(buffer, 0, read)}");
            }
            while (await stream.ReadAsync(buffer) > 0)
            {
            }
            if (!firstByte)
            {
                elapsed = Stopwatch.GetElapsedTime(start);
            }
            return elapsed.TotalMicroseconds;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
