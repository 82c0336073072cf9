using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gateway.FakeUpstream;

namespace Gateway.Bench;

/// <summary>What holding many SSE streams open at once cost one system, and how late its events arrived meanwhile.</summary>
internal sealed record OpenStreamsFigures(
    Target System,
    int Wanted,
    int Opened,
    int Failed,
    int Peak,
    string? FirstFailure,
    double OpenSeconds,
    long ResidentIdle,
    long ResidentOpen,
    int ThreadsIdle,
    int ThreadsOpen,
    double CpuIdlePercent,
    double CpuOpenPercent,
    double EventsPerSecond,
    double[] Delays)
{
    public double BytesPerStream => (double)(ResidentOpen - ResidentIdle) / Math.Max(1, Opened);
}

/// <summary>
/// Many concurrent SSE streams through one system (default 10,000, like as many Claude Code users in long turns):
/// every stream is a small streamed request whose events the fake upstream sends <c>--stream-event-ms</c> apart
/// (2.5 s), each stamped with the fake's clock. Once every stream is open, the system's process tree is read
/// (resident set, threads, CPU while it holds them) and every event arriving from then on is timed from the
/// fake writing it to its arrival here. Systems run one after the other (the bench's own sockets stay under its
/// file limit); the client spreads its connections over several loopback source addresses so ephemeral ports
/// never run short.
/// </summary>
internal static class OpenStreamsBench
{
    /// <summary>Streams waiting for their response headers at once: the ramp, so connects do not pile up in the backlog.</summary>
    private const int OpeningAtOnce = 200;
    private static readonly double NanosPerTick = 1_000_000_000.0 / Stopwatch.Frequency;

    /// <summary>
    /// The <c>streams</c> subcommand: the scenario against one running system, e.g. a front started by
    /// bench/profile.sh's way, to try a setting: <c>streams --url U --key K --pid P [--open-streams 2000] [--stream-event-ms 1000]</c>.
    /// </summary>
    public static async Task RunCommandAsync(string[] args)
    {
        string? Str(string name) => CommandLine.Value(args, name);
        FileLimits.RaiseToHard();
        var options = BenchOptions.Parse(args);
        var target = new Target(SystemKind.EverythingOn, Str("--url") ?? "", [new Uri(Str("--url") ?? "http://127.0.0.1:8080/")], Str("--key") ?? "sk-bench")
        {
            Pids = (Str("--pid") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray(),
        };
        var s = await RunOneAsync(target, options);
        Console.WriteLine($"{s.Opened} opened, {s.Peak} at once ({s.Failed} failed{(s.FirstFailure is null ? "" : ": " + s.FirstFailure)}) in {s.OpenSeconds:0.0} s; "
            + $"resident {s.ResidentIdle / 1048576.0:0} -> {s.ResidentOpen / 1048576.0:0} MiB ({s.BytesPerStream / 1024:0.0} KiB/stream), threads {s.ThreadsIdle} -> {s.ThreadsOpen}, "
            + $"CPU idle {s.CpuIdlePercent:0.0}% holding {s.CpuOpenPercent:0.0}% ({s.CpuOpenPercent / 100 * 1e6 / Math.Max(1, s.EventsPerSecond):0} µs per event), "
            + $"per-event delay p50 {Stats.Percentile(s.Delays, 50) / 1000:0.00} p99 {Stats.Percentile(s.Delays, 99) / 1000:0.00} ms ({s.Delays.Length} events)");
    }

    public static async Task<List<OpenStreamsFigures>> RunAsync(IEnumerable<Target> targets, BenchOptions options)
    {
        var results = new List<OpenStreamsFigures>();
        foreach (var target in targets)
        {
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} bench: {options.OpenStreams} open streams through {target.Name}");
            results.Add(await RunOneAsync(target, options));
            // Let the closed connections leave TIME_WAIT pressure and the process settle before the next system.
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
        return results;
    }

    private static async Task<OpenStreamsFigures> RunOneAsync(Target target, BenchOptions options)
    {
        var interval = options.StreamEventMs;
        await Task.Delay(1000);
        var (residentIdle, threadsIdle) = ProcessCpu.Footprint(target.Pids);
        var cpuIdle = await CpuPercentAsync(target.Pids, TimeSpan.FromSeconds(2));

        using var client = ManyConnectionsClient(target);
        var opening = new SemaphoreSlim(OpeningAtOnce);
        var opened = 0;
        var failed = 0;
        var current = 0;
        var peak = 0;
        string? firstFailure = null;
        long allOpenAt = long.MaxValue; // Stopwatch ticks; events are timed only once every stream is open
        var allOpen = new TaskCompletionSource();
        var clock = Stopwatch.StartNew();

        void Settled(bool ok, string? failure)
        {
            if (!ok)
            {
                Interlocked.Increment(ref failed);
                Interlocked.CompareExchange(ref firstFailure, failure, null);
            }
            else
            {
                Interlocked.Increment(ref opened);
            }
            if (Volatile.Read(ref opened) + Volatile.Read(ref failed) == options.OpenStreams)
            {
                Interlocked.Exchange(ref allOpenAt, Stopwatch.GetTimestamp());
                allOpen.TrySetResult();
            }
        }

        var streams = Enumerable.Range(0, options.OpenStreams).Select(async i =>
        {
            await opening.WaitAsync();
            var released = false;
            try
            {
                using var request = LatencyBench.Request(Bodies.SmallStream);
                request.Headers.Add(FakeUpstreamHeaders.EventIntervalMs, interval.ToString());
                request.Headers.Add(FakeUpstreamHeaders.SendStamps, "1");
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                opening.Release();
                released = true;
                if (!response.IsSuccessStatusCode)
                {
                    Settled(false, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    return new List<double>();
                }
                var now = Interlocked.Increment(ref current);
                int seen;
                while (now > (seen = Volatile.Read(ref peak)) && Interlocked.CompareExchange(ref peak, now, seen) != seen)
                {
                }
                Settled(true, null);
                try
                {
                    await using var body = await response.Content.ReadAsStreamAsync();
                    return await DelaysAsync(body, () => Interlocked.Read(ref allOpenAt));
                }
                finally
                {
                    Interlocked.Decrement(ref current);
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                if (!released)
                {
                    opening.Release();
                    Settled(false, e.GetBaseException().Message);
                }
                return new List<double>();
            }
        }).ToList();

        await Task.WhenAny(allOpen.Task, Task.WhenAll(streams));
        var openSeconds = clock.Elapsed.TotalSeconds;
        // A short settle, then the footprint and CPU while every stream is open and trickling.
        var hold = TimeSpan.FromMilliseconds(Math.Max(2 * interval, 5000));
        await Task.Delay(1000);
        var cpuOpen = await CpuPercentAsync(target.Pids, hold);
        var (residentOpen, threadsOpen) = ProcessCpu.Footprint(target.Pids);
        var delays = (await Task.WhenAll(streams)).SelectMany(d => d).ToArray();
        var eventsPerSecond = opened * 1000.0 / interval;
        return new OpenStreamsFigures(target, options.OpenStreams, opened, failed, peak, firstFailure, openSeconds,
            residentIdle, residentOpen, threadsIdle, threadsOpen, cpuIdle, cpuOpen, eventsPerSecond, delays);
    }

    private static async Task<double> CpuPercentAsync(int[] pids, TimeSpan window)
    {
        var before = ProcessCpu.Seconds(pids);
        var clock = Stopwatch.StartNew();
        await Task.Delay(window);
        return (ProcessCpu.Seconds(pids) - before) / clock.Elapsed.TotalSeconds * 100;
    }

    /// <summary>
    /// A client for thousands of connections to one address: no per-server cap, and each connection bound to
    /// one of 127.0.0.1-16 as its source, so the 4-tuples never exhaust the ephemeral port range.
    /// </summary>
    private static HttpClient ManyConnectionsClient(Target target)
    {
        var next = 0;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5),
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, (byte)(1 + Interlocked.Increment(ref next) % 16)]), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = target.Addresses[0], Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Add("x-api-key", target.ApiKey);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        client.DefaultRequestHeaders.Add(Client.SessionHeader, Client.BenchSession);
        return client;
    }

    /// <summary>µs from the fake writing each event to its arrival, for events arriving after every stream was open.</summary>
    private static async Task<List<double>> DelaysAsync(Stream stream, Func<long> allOpenAt)
    {
        var delays = new List<double>();
        var buffer = new byte[4096];
        var filled = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(filled))) > 0)
        {
            var now = Stopwatch.GetTimestamp();
            var arrived = now * NanosPerTick;
            filled += read;
            var consumed = 0;
            int newline;
            while ((newline = Array.IndexOf(buffer, (byte)'\n', consumed, filled - consumed)) >= 0)
            {
                var line = buffer.AsSpan(consumed, newline - consumed);
                consumed = newline + 1;
                if (line.StartsWith(": sent-ns "u8) && Utf8Parser.TryParse(line[": sent-ns ".Length..], out long sent, out _) && now >= allOpenAt())
                {
                    delays.Add((arrived - sent) / 1000.0);
                }
            }
            buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
            filled -= consumed;
            if (filled == buffer.Length)
            {
                filled = 0; // a line longer than the buffer carries no stamp
            }
        }
        return delays;
    }
}
