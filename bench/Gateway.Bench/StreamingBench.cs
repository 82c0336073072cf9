using System.Buffers.Text;
using System.Diagnostics;
using Gateway.FakeUpstream;

namespace Gateway.Bench;

/// <summary>
/// Per-event delay of a streamed reply whose events the fake upstream sends 20 ms apart: the fake stamps
/// each event with its monotonic clock as it writes it (<c>: sent-ns N</c>, asked for by
/// <see cref="FakeUpstreamHeaders.SendStamps"/>); the bench reads the same clock when the event's bytes
/// arrive. Arrival − send is the event's trip through the system; direct is the floor. The first event is
/// left out (it is the time to first byte, measured on its own). A few streams run at once per system,
/// systems interleaved round by round.
/// </summary>
internal static class StreamingBench
{
    public const int EventIntervalMs = 20;
    private const int ParallelStreams = 8;
    private static readonly double NanosPerTick = 1_000_000_000.0 / Stopwatch.Frequency;

    public static async Task<List<Measurement>> RunAsync(SystemsUnderTest systems, BenchOptions options)
    {
        var results = new List<Measurement>();
        var rounds = Math.Max(1, options.Streams / ParallelStreams);
        foreach (var body in new[] { Bodies.SmallStream, Bodies.LargeStream })
        {
            var scenario = Scenarios.Events(body);
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} bench: {scenario}");
            var targets = systems.StreamingTargets;
            var clients = targets.Select(Client.For).ToList();
            var samples = targets.Select(_ => new List<double>()).ToList();
            for (var round = -1; round < rounds; round++) // round -1: warm-up
            {
                for (var t = 0; t < clients.Count; t++)
                {
                    var streams = await Task.WhenAll(Enumerable.Range(0, ParallelStreams)
                        .Select(s => StreamAsync(clients[t][s % clients[t].Length], body)));
                    if (round >= 0)
                    {
                        samples[t].AddRange(streams.SelectMany(s => s));
                    }
                }
            }
            for (var t = 0; t < clients.Count; t++)
            {
                results.Add(new Measurement(scenario, targets[t], samples[t].ToArray()));
            }
            foreach (var client in clients.SelectMany(c => c))
            {
                client.Dispose();
            }
        }
        return results;
    }

    /// <summary>
    /// The fake's send stamp on an SSE line: a <c>: sent-ns N</c> comment, or in a stream that came from the fake's
    /// Bedrock (which has no comments) the event JSON's first member, <c>data: {"x_sent_ns":N,…</c>.
    /// </summary>
    private static long? SentStamp(ReadOnlySpan<byte> line)
    {
        if (line.StartsWith(": sent-ns "u8))
        {
            line = line[": sent-ns ".Length..];
        }
        else if (line.StartsWith(BedrockStampPrefix))
        {
            line = line[BedrockStampPrefix.Length..];
        }
        else
        {
            return null;
        }
        return Utf8Parser.TryParse(line, out long sent, out _) ? sent : null;
    }

    private static readonly byte[] BedrockStampPrefix = System.Text.Encoding.UTF8.GetBytes($"data: {{\"{FakeUpstreamHeaders.SentStampMember}\":");

    /// <summary>One streamed request; µs from the fake writing each event (after the first) to its arrival here.</summary>
    private static async Task<List<double>> StreamAsync(HttpClient client, Body body)
    {
        using var request = LatencyBench.Request(body);
        request.Headers.Add(FakeUpstreamHeaders.EventIntervalMs, EventIntervalMs.ToString());
        request.Headers.Add(FakeUpstreamHeaders.SendStamps, "1");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{client.BaseAddress}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        await using var stream = await response.Content.ReadAsStreamAsync();
        var delays = new List<double>();
        var buffer = new byte[64 * 1024];
        var filled = 0;
        var events = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(filled))) > 0)
        {
            var arrived = Stopwatch.GetTimestamp() * NanosPerTick;
            filled += read;
            var consumed = 0;
            int newline;
            while ((newline = Array.IndexOf(buffer, (byte)'\n', consumed, filled - consumed)) >= 0)
            {
                var line = buffer.AsSpan(consumed, newline - consumed);
                consumed = newline + 1;
                if (SentStamp(line) is { } sent)
                {
                    if (events++ > 0)
                    {
                        delays.Add((arrived - sent) / 1000.0);
                    }
                }
            }
            buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
            filled -= consumed;
        }
        if (events < 3)
        {
            throw new InvalidOperationException($"{client.BaseAddress}: {events} stamped events in the stream (does the system drop SSE comment lines?)");
        }
        return delays;
    }
}
