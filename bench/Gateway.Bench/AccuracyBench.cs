using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Gateway.Bench;

/// <summary>
/// How much of what a key's bucket refills the cluster admits under contention: a fresh key per run, limited by
/// requests, input tokens or output tokens (the latter with max_tokens reservations far above the real output,
/// trued up at settlement), clients spread over the fronts sending at random at a multiple of the limit's rate, waiting at least
/// 50 ms after each 429. The bucket (which starts full) is drained first, until every front has refused and the 200s
/// cover the bucket (reservations awaiting true-up make token limits refuse early), then 5 s at the demand; then the
/// window counts the units (requests, or billed tokens) of the 200s it received. Ideal: the refill over the window
/// (with <c>--from-full</c>: the window starts at the first request, ideal = capacity + refill).
/// </summary>
internal static class AccuracyBench
{
    private const string SmallJson = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]}""";

    /// <summary>Output limit cells: a reservation of 256 against the fake's 12 real output tokens.</summary>
    private const string OutputJson = """{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"Say hello"}]}""";

    private const int FakeOutputTokens = 12;

    private static readonly ConcurrentQueue<string> Messages = new();

    public static async Task RunCommandAsync(string[] args)
    {
        var options = AccuracyOptions.Parse(args);
        var cells = new List<(int Fronts, LimitKind Kind, double Demand, List<double> Ratios)>();
        var clock = Stopwatch.StartNew();
        foreach (var fronts in options.Fronts)
        {
            Console.Error.WriteLine($"accuracy: starting a silo and {fronts} front(s)");
            await using var cluster = await AccuracyCluster.StartAsync(fronts, options);
            foreach (var kind in options.Kinds)
            {
                foreach (var demand in options.Demands)
                {
                    var ratios = new List<double>();
                    for (var run = 0; run < options.Runs; run++)
                    {
                        var ratio = await RunOnceAsync(cluster, kind, demand, options);
                        ratios.Add(ratio);
                        Console.Error.WriteLine($"accuracy: {fronts} front(s), {kind}, demand {demand}x, run {run + 1}: {ratio:0.000}");
                    }
                    cells.Add((fronts, kind, demand, ratios));
                }
            }
        }
        var table = Table(cells, options, clock.Elapsed, args);
        Console.WriteLine(table);
        if (options.Append is { } path)
        {
            await File.AppendAllTextAsync(path, Environment.NewLine + table);
        }
    }

    private static async Task<double> RunOnceAsync(AccuracyCluster cluster, LimitKind kind, double demand, AccuracyOptions options)
    {
        var body = Encoding.UTF8.GetBytes(kind == LimitKind.Output ? OutputJson : SmallJson);
        // Billed units per request, so every limit is about as tight as the request limit: rpm requests a minute.
        var inputPerRequest = (body.Length + 3) / 4;
        var (limits, perMinute) = kind switch
        {
            LimitKind.Requests => ((object)new { requests_per_minute = options.RequestsPerMinute }, (double)options.RequestsPerMinute),
            LimitKind.Input => (new { input_tokens_per_minute = (long)options.RequestsPerMinute * inputPerRequest }, (double)options.RequestsPerMinute * inputPerRequest),
            _ => (new { output_tokens_per_minute = (long)options.RequestsPerMinute * FakeOutputTokens }, (double)options.RequestsPerMinute * FakeOutputTokens),
        };
        var secret = await cluster.CreateKeyAsync(limits);
        var clients = cluster.Fronts.Select(front => new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 256 })
        {
            BaseAddress = front,
            Timeout = TimeSpan.FromSeconds(30),
            DefaultRequestHeaders = { { "x-api-key", secret }, { "anthropic-version", "2023-06-01" } },
        }).ToArray();
        try
        {
            var clock = Stopwatch.StartNew();
            var results = new ConcurrentQueue<(TimeSpan At, HttpStatusCode Status, long Units, int Front)>();
            var requestRate = options.RequestsPerMinute / 60.0;
            // Seconds between one client's requests: at the target demand, and while draining the bucket (50x).
            // Demand 0: closed loop (the next request as soon as the last is answered; 50 ms after a 429).
            double Interval(double d) => d <= 0 ? 0 : options.Clients / (requestRate * d);
            var pacing = new double[] { Interval(options.FromFull || demand <= 0 ? demand : Math.Max(demand, 50)) };
            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, options.Clients)
                .Select(i => Task.Run(() => ClientAsync(clients[i % clients.Length], i % clients.Length, body, kind, pacing, clock, results, stop.Token)))
                .ToArray();
            TimeSpan windowStart;
            if (options.FromFull)
            {
                windowStart = TimeSpan.Zero;
            }
            else
            {
                // Drained: every front has refused and the 200s cover the full bucket (token limits refuse while most of it
                // is still out as reservations awaiting true-up).
                while (results.Where(r => r.Status == HttpStatusCode.TooManyRequests).Select(r => r.Front).Distinct().Count() < clients.Length
                    || results.Where(r => r.Status == HttpStatusCode.OK).Sum(r => r.Units) < perMinute)
                {
                    if (clock.Elapsed > TimeSpan.FromMinutes(2))
                    {
                        var seen = string.Join(", ", results.GroupBy(r => ((int)r.Status, r.Front)).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));
                        throw new TimeoutException($"the key was never drained on every front (statuses by front: {seen}; {string.Join(" | ", Messages.Distinct().Take(3))})");
                    }
                    await Task.Delay(20);
                }
                // 5 s at the target demand before the window: what the key holds unused in steady state (a token limit
                // needs a whole reservation in its bucket to admit) differs between demands, and must not count.
                Volatile.Write(ref pacing[0], Interval(demand));
                await Task.Delay(TimeSpan.FromSeconds(5));
                windowStart = clock.Elapsed;
            }
            var window = TimeSpan.FromSeconds(options.Seconds);
            await Task.Delay(windowStart + window - clock.Elapsed);
            stop.Cancel();
            await Task.WhenAll(workers);
            var admitted = results.Where(r => r.At >= windowStart && r.At < windowStart + window && r.Status == HttpStatusCode.OK).Sum(r => r.Units);
            if (Environment.GetEnvironmentVariable("ACCURACY_DEBUG") is not null)
            {
                var inWindow = results.Where(r => r.At >= windowStart && r.At < windowStart + window).ToList();
                Console.Error.WriteLine("accuracy: window statuses " + string.Join(", ", inWindow.GroupBy(r => ((int)r.Status, r.Front)).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}")));
                Console.Error.WriteLine("accuracy: 429 messages " + string.Join(" | ", Messages.Distinct().Take(5)));
                using (var m = new HttpClient())
                {
                    var metrics = await m.GetStringAsync(new Uri(cluster.Silo!, "metrics"));
                    Console.Error.WriteLine("accuracy: silo " + string.Join(" ; ", metrics.Split('\n').Where(l => l.StartsWith("gateway_grain_lease", StringComparison.Ordinal))));
                }
                Console.Error.WriteLine("accuracy: first 2 s per 100 ms " + string.Join(" ", inWindow.Where(r => r.Status == HttpStatusCode.OK && r.At - windowStart < TimeSpan.FromSeconds(2))
                    .GroupBy(r => (int)((r.At - windowStart).TotalSeconds * 10)).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Count()}")));
                Console.Error.WriteLine("accuracy: 200s per second " + string.Join(" ", inWindow.Where(r => r.Status == HttpStatusCode.OK)
                    .GroupBy(r => (int)(r.At - windowStart).TotalSeconds).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Count()}")));
                Console.Error.WriteLine("accuracy: requests per second " + string.Join(" ", inWindow
                    .GroupBy(r => (int)(r.At - windowStart).TotalSeconds).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Count()}")));
            }
            var ideal = perMinute / 60 * window.TotalSeconds + (options.FromFull ? perMinute : 0);
            return admitted / ideal;
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static async Task ClientAsync(HttpClient client, int front, byte[] body, LimitKind kind, double[] pacing, Stopwatch clock,
        ConcurrentQueue<(TimeSpan, HttpStatusCode, long, int)> results, CancellationToken stop)
    {
        // Clients start spread over one pacing interval, as independent clients would.
        var next = clock.Elapsed + TimeSpan.FromSeconds(Random.Shared.NextDouble() * Volatile.Read(ref pacing[0]));
        var open = new List<Task>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var wait = next - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stop);
                }
                var interval = Volatile.Read(ref pacing[0]);
                // Exponential gaps (independent clients): a fixed interval would lock the clients into one burst per interval.
                next = Max(next, clock.Elapsed) + TimeSpan.FromSeconds(-Math.Log(1 - Random.Shared.NextDouble()) * interval);
                if (interval > 0)
                {
                    // Paced demand is open loop: a slow answer (a loaded machine) must not lower the demand.
                    open.RemoveAll(t => t.IsCompleted);
                    open.Add(SendAsync(client, front, body, kind, clock, results, stop));
                    continue;
                }
                if (await SendAsync(client, front, body, kind, clock, results, stop) == HttpStatusCode.TooManyRequests)
                {
                    next = Max(next, clock.Elapsed + TimeSpan.FromMilliseconds(50));
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }
        await Task.WhenAll(open);
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, int front, byte[] body, LimitKind kind, Stopwatch clock,
        ConcurrentQueue<(TimeSpan, HttpStatusCode, long, int)> results, CancellationToken stop)
    {
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await client.PostAsync("v1/messages", content, stop);
            var text = await response.Content.ReadAsStringAsync(stop);
            long units = 0;
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var usage = JsonDocument.Parse(text).RootElement.GetProperty("usage");
                units = kind switch
                {
                    LimitKind.Requests => 1,
                    LimitKind.Input => usage.GetProperty("input_tokens").GetInt64(),
                    _ => usage.GetProperty("output_tokens").GetInt64(),
                };
            }
            results.Enqueue((clock.Elapsed, response.StatusCode, units, front));
            if (response.StatusCode != HttpStatusCode.OK && Messages.Count < 50)
            {
                Messages.Enqueue(text.Length > 200 ? text[..200] : text);
            }
            return response.StatusCode;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return HttpStatusCode.RequestTimeout;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            results.Enqueue((clock.Elapsed, HttpStatusCode.GatewayTimeout, 0, front));
            return HttpStatusCode.GatewayTimeout;
        }
    }

    private static string Setup(AccuracyOptions o)
    {
        var window = o.FromFull
            ? $"Window: the first {o.Seconds} s from a full bucket; ideal = capacity + refill."
            : $"The bucket is drained first (until every front refused and the 200s cover the full bucket), then 5 s at the demand; window {o.Seconds} s; ideal = the refill over the window.";
        return string.Create(CultureInfo.InvariantCulture,
            $"One silo, N fronts (processes), a fresh key per run at {o.RequestsPerMinute} requests/min or the token equivalent (input: {o.RequestsPerMinute} small bodies' tokens/min; output: {o.RequestsPerMinute}×{FakeOutputTokens} tokens/min, max_tokens 256 reserved and {FakeOutputTokens} produced). {o.Clients} clients over the fronts, sending open loop at random (exponential gaps) at the demand (× the limit's rate); closed loop: the next request when the last is answered, 50 ms after a 429. {window}");
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static string Table(List<(int Fronts, LimitKind Kind, double Demand, List<double> Ratios)> cells, AccuracyOptions options, TimeSpan took,
        string[] args)
    {
        var text = new StringBuilder();
        var command = "dotnet run -c Release --project bench/Gateway.Bench -- accuracy " + string.Join(' ', args.Where(a => !a.Contains("Host=")));
        text.AppendLine(CultureInfo.InvariantCulture, $"## Limit accuracy under contention ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {took.TotalMinutes:0} min)")
            .AppendLine()
            .AppendLine("```").AppendLine(command).AppendLine("```").AppendLine()
            .AppendLine(Setup(options))
            .AppendLine()
            .AppendLine("| fronts | limit | demand | runs | median admitted/ideal | worst (lowest) | highest |")
            .AppendLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (var (fronts, kind, demand, ratios) in cells)
        {
            var sorted = ratios.Order().ToList();
            var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
            text.AppendLine(CultureInfo.InvariantCulture, $"| {fronts} | {kind.ToString().ToLowerInvariant()} | {(demand <= 0 ? "closed loop" : demand + "×")} | {ratios.Count} | {median:0.000} | {sorted[0]:0.000} | {sorted[^1]:0.000} |");
        }
        return text.ToString();
    }
}
