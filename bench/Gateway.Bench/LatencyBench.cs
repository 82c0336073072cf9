using System.Diagnostics;
using System.Text;

namespace Gateway.Bench;

internal sealed record Measurement(string Scenario, string System, double[] Micros);

/// <summary>
/// Sequential (concurrency 1) latency: the same request alternately direct and through the gateway,
/// so both sides see the same machine noise. Non-streaming: full response time. Streaming: time to
/// the first SSE byte.
/// </summary>
internal static class LatencyBench
{
    private const string Small = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]}""";
    private const string SmallStream = """{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Say hello"}]}""";

    public static async Task<List<Measurement>> RunAsync(SystemsUnderTest systems, BenchOptions options)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 4 });
        client.DefaultRequestHeaders.Add("x-api-key", "sk-bench-client");
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        var results = new List<Measurement>();
        foreach (var (scenario, body, firstByte) in new[] { ("non-streaming", Small, false), ("streaming TTFB", SmallStream, true) })
        {
            var direct = new double[options.Requests];
            var gateway = new double[options.Requests];
            for (var i = -options.Warmup; i < options.Requests; i++)
            {
                var d = await TimeAsync(client, systems.Direct, body, firstByte);
                var g = await TimeAsync(client, systems.Gateway, body, firstByte);
                if (i >= 0)
                {
                    direct[i] = d;
                    gateway[i] = g;
                }
            }
            results.Add(new Measurement(scenario, "direct", direct));
            results.Add(new Measurement(scenario, "gateway", gateway));
        }
        return results;
    }

    private static async Task<double> TimeAsync(HttpClient client, Uri baseAddress, string body, bool firstByte)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, "v1/messages"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        var start = Stopwatch.GetTimestamp();
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[16 * 1024];
        var read = await stream.ReadAsync(buffer);
        var elapsed = Stopwatch.GetElapsedTime(start);
        if (!response.IsSuccessStatusCode || read == 0)
        {
            throw new InvalidOperationException($"{baseAddress}: {(int)response.StatusCode}");
        }
        if (!firstByte)
        {
            while (await stream.ReadAsync(buffer) > 0) { }
            elapsed = Stopwatch.GetElapsedTime(start);
        }
        else
        {
            while (await stream.ReadAsync(buffer) > 0) { } // drain so the connection is reused
        }
        return elapsed.TotalMicroseconds;
    }
}
