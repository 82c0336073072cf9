using System.Diagnostics;
using System.Text;

namespace Gateway.Bench;

internal sealed record Measurement(string Scenario, string System, double[] Micros, double? RequestsPerSecond = null);

/// <summary>
/// Sequential (concurrency 1) latency: the same request sent to every system in turn, interleaved,
/// so all see the same machine noise. Non-streaming: full response time. Streaming: time to the
/// first SSE byte.
/// </summary>
internal static class LatencyBench
{
    public const string Small = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]}""";
    public const string SmallStream = """{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Say hello"}]}""";

    public static async Task<List<Measurement>> RunAsync(SystemsUnderTest systems, BenchOptions options)
    {
        var clients = systems.Targets.Select(Client.For).ToList();
        var results = new List<Measurement>();
        foreach (var (scenario, body, firstByte) in new[] { ("non-streaming, c=1", Small, false), ("streaming TTFB, c=1", SmallStream, true) })
        {
            var samples = systems.Targets.Select(_ => new double[options.Requests]).ToList();
            for (var i = -options.Warmup; i < options.Requests; i++)
            {
                for (var t = 0; t < clients.Count; t++)
                {
                    var micros = await TimeAsync(clients[t], body, firstByte);
                    if (i >= 0)
                    {
                        samples[t][i] = micros;
                    }
                }
            }
            for (var t = 0; t < clients.Count; t++)
            {
                results.Add(new Measurement(scenario, systems.Targets[t].Name, samples[t]));
            }
        }
        foreach (var client in clients)
        {
            client.Dispose();
        }
        return results;
    }

    public static async Task<double> TimeAsync(HttpClient client, string body, bool firstByte)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        var start = Stopwatch.GetTimestamp();
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[16 * 1024];
        var read = await stream.ReadAsync(buffer);
        var elapsed = Stopwatch.GetElapsedTime(start);
        if (!response.IsSuccessStatusCode || read == 0)
        {
            throw new InvalidOperationException($"{client.BaseAddress}: {(int)response.StatusCode} {Encoding.UTF8.GetString(buffer, 0, read)}");
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
}
