using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Gateway.Bench;

/// <summary>
/// How much of what a limit allows the cluster admits under contention. Per-minute limits (requests, input tokens,
/// output tokens, the latter with max_tokens reservations five times the real output, trued up at settlement): a fresh
/// key per run, clients spread over the fronts sending at a multiple of the limit's rate. The bucket (full at first) is
/// drained at 50×; the clients pause until every slice and reservation is back at the key's grain, whose level is read
/// (GET /admin/keys/{id}/usage); what the pause gathered is drained again, then 5 s at the demand and the window; the
/// clients stop, and the level is read again once everything is back. Two ratios per run: the units of the window's
/// 200s over the refill in the window (the issue's measure, which also moves with what the bucket happens to hold at
/// the window's ends), and the units of all 200s since the resume over what the bucket gave up meanwhile (1 unless the
/// protocol loses or invents units). Session caps: a fresh session per run whose key allows a number of requests per
/// session, its requests spread over the fronts; admitted / the cap. The runs of a cell go side by side
/// (<c>--parallel</c>), each on its own key, as tenants would.
/// </summary>
internal static class AccuracyBench
{
    private const string SmallJson = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]}""";

    /// <summary>Output cells: max_tokens 1000 reserved per request against the fake's 200 real output tokens.</summary>
    private const string OutputJson = """{"model":"claude-sonnet-4-5","max_tokens":1000,"messages":[{"role":"user","content":"Say hello"}]}""";

    private const int OutputReservation = 1000;

    private static readonly ConcurrentQueue<string> Messages = new();

    public static async Task RunCommandAsync(string[] args)
    {
        var options = AccuracyOptions.Parse(args);
        var cells = new List<Cell>();
        var clock = Stopwatch.StartNew();
        foreach (var fronts in options.Fronts)
        {
            Console.Error.WriteLine($"accuracy: starting a silo and {fronts} front(s)");
            await using var cluster = await AccuracyCluster.StartAsync(fronts, options);
            await WarmUpAsync(cluster, options);
            foreach (var kind in options.Kinds)
            {
                foreach (var demand in options.Demands)
                {
                    var runs = new List<RunResult>();
                    for (var done = 0; done < options.Runs; done += options.Parallel)
                    {
                        var batch = Enumerable.Range(done, Math.Min(options.Parallel, options.Runs - done))
                            .Select(_ => kind == LimitKind.Session ? SessionRunAsync(cluster, demand, options) : RunOnceAsync(cluster, kind, demand, options));
                        runs.AddRange(await Task.WhenAll(batch));
                    }
                    Console.Error.WriteLine($"accuracy: {fronts} front(s), {kind}, demand {demand}x: "
                        + string.Join(" ", runs.Select(r => r.Ratio.ToString("0.000", CultureInfo.InvariantCulture))));
                    cells.Add(new Cell(fronts, kind, demand, runs));
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

    private static async Task<RunResult> RunOnceAsync(AccuracyCluster cluster, LimitKind kind, double demand, AccuracyOptions options)
    {
        var body = Encoding.UTF8.GetBytes(kind == LimitKind.Output ? OutputJson : SmallJson);
        // Billed units per request, so every limit is about as tight as the request limit: rpm requests a minute.
        var inputPerRequest = (body.Length + 3) / 4;
        var (limits, perMinute, bucket) = kind switch
        {
            LimitKind.Requests => ((object)new { requests_per_minute = options.RequestsPerMinute }, (double)options.RequestsPerMinute, "requests_per_minute"),
            LimitKind.Input => (new { input_tokens_per_minute = (long)options.RequestsPerMinute * inputPerRequest },
                (double)options.RequestsPerMinute * inputPerRequest, "input_tokens_per_minute"),
            _ => (new { output_tokens_per_minute = (long)options.RequestsPerMinute * AccuracyCluster.OutputTokens },
                (double)options.RequestsPerMinute * AccuracyCluster.OutputTokens, "output_tokens_per_minute"),
        };
        var (keyId, secret) = await cluster.CreateKeyAsync(limits);
        using var load = new Load(cluster, secret, body, kind, options);
        var requestRate = options.RequestsPerMinute / 60.0;
        // Seconds between one client's requests: at the target demand, and while draining the bucket (50x).
        // Demand 0: closed loop (the next request as soon as the last is answered; 50 ms after a 429).
        double Interval(double d) => d <= 0 ? 0 : options.Clients / (requestRate * d);
        double levelAtStart;
        TimeSpan resumed, windowStart;
        if (options.FromFull)
        {
            levelAtStart = perMinute;
            load.Start(Interval(demand));
            resumed = windowStart = TimeSpan.Zero;
        }
        else
        {
            load.Start(Interval(Math.Max(demand, 50)));
            await DrainAsync(load, cluster, perMinute, since: TimeSpan.Zero);
            // A pause long enough for every slice, reservation and charge to be back at the key's grain, so the level
            // read there is the whole of what the key has left.
            await load.PauseAsync();
            await Task.Delay(Quiet);
            levelAtStart = await cluster.RemainingAsync(keyId, bucket);
            resumed = load.Clock.Elapsed;
            load.Resume();
            // What the pause let the bucket gather is drained again at 50x, then the demand, and 5 s for it to settle
            // (what the key holds unused in steady state differs between demands) before the window.
            await DrainAsync(load, cluster, levelAtStart, since: resumed);
            load.Pace(Interval(demand));
            windowStart = load.Clock.Elapsed + Settle;
        }
        var window = TimeSpan.FromSeconds(options.Seconds);
        await Task.Delay(windowStart + window - load.Clock.Elapsed);
        await load.StopAsync();
        var stopped = windowStart + window;
        await Task.Delay(Quiet);
        var levelAtEnd = await cluster.RemainingAsync(keyId, bucket);
        var readAt = load.Clock.Elapsed;
        // Units of the 200s for requests sent in a span (all of them answered by now).
        long Admitted(TimeSpan from, TimeSpan to) =>
            load.Results.Where(r => r.SentAt >= from && r.SentAt < to && r.Status == HttpStatusCode.OK).Sum(r => r.Units);
        if (Environment.GetEnvironmentVariable("ACCURACY_DEBUG") is not null)
        {
            Console.Error.WriteLine($"accuracy: {kind} {demand}x: {load.Statuses()}; level {levelAtStart} -> {levelAtEnd}; 200s per second "
                + string.Join(" ", load.Results.Where(r => r.SentAt >= resumed)
                    .GroupBy(r => (int)(r.SentAt - resumed).TotalSeconds).OrderBy(g => g.Key)
                    .Select(g => $"{g.Key}:{g.Count(r => r.Status == HttpStatusCode.OK)}/{g.Count()}")));
        }
        var perSecond = perMinute / 60;
        // The issue's measure: what the window admitted of the refill over it (from a full bucket: and the bucket).
        var ideal = perSecond * window.TotalSeconds + (options.FromFull ? perMinute : 0);
        // What the bucket gave up from the resume to the read after the stop: its level then, its refill since, less
        // what it held at the end. Every unit it gave up should be one a client received.
        var used = levelAtStart + perSecond * (readAt - resumed).TotalSeconds - levelAtEnd;
        return new RunResult(Admitted(windowStart, stopped) / ideal, used > 0 ? Admitted(resumed, stopped) / used : double.NaN);
    }

    /// <summary>
    /// A few seconds of traffic on a throwaway key through every front before the first run, not counted. A cold
    /// cluster (JIT, first grain activations, connection pools) takes seconds to admit its first request on a loaded
    /// machine, and a full bucket cannot gather its refill meanwhile: the first runs from a full bucket measured that
    /// start (0.86–0.92 of capacity + refill), not the protocol (0.998 in the runs after them).
    /// </summary>
    private static async Task WarmUpAsync(AccuracyCluster cluster, AccuracyOptions options)
    {
        var (_, secret) = await cluster.CreateKeyAsync(new { requests_per_minute = options.RequestsPerMinute });
        using var load = new Load(cluster, secret, Encoding.UTF8.GetBytes(SmallJson), LimitKind.Requests, options);
        load.Start(0);
        await Task.Delay(TimeSpan.FromSeconds(5));
        await load.StopAsync();
    }

    /// <summary>
    /// Until every front has refused since <paramref name="since"/> and the 200s since then cover <paramref name="units"/>
    /// (token limits refuse while much of the bucket is still out as reservations awaiting true-up).
    /// </summary>
    private static async Task DrainAsync(Load load, AccuracyCluster cluster, double units, TimeSpan since)
    {
        var deadline = load.Clock.Elapsed + TimeSpan.FromMinutes(2);
        while (load.Results.Where(r => r.SentAt >= since && r.Status == HttpStatusCode.TooManyRequests).Select(r => r.Front).Distinct().Count() < cluster.Fronts.Count
            || load.Results.Where(r => r.SentAt >= since && r.Status == HttpStatusCode.OK).Sum(r => r.Units) < units)
        {
            if (load.Clock.Elapsed > deadline)
            {
                throw new TimeoutException($"the key was never drained on every front ({load.Statuses()}; {string.Join(" | ", Messages.Distinct().Take(3))})");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>From the resume to the window: the demand settles (reservations in flight, slices at the fronts).</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    /// <summary>Long enough after the clients stop for every slice to lapse and come back (a lease lasts 1 s, the sweep runs every 0.5 s) and every charge to settle.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2.5);

    /// <summary>
    /// One session with a cap of <see cref="AccuracyOptions.SessionRequests"/> requests, its requests spread over every
    /// front at the demand (× the cap's worth per minute): how many the cluster admits of the cap. No rate limit.
    /// </summary>
    private static async Task<RunResult> SessionRunAsync(AccuracyCluster cluster, double demand, AccuracyOptions options)
    {
        var (_, secret) = await cluster.CreateKeyAsync(new { }, new { max_requests = options.SessionRequests });
        var body = Encoding.UTF8.GetBytes(SmallJson);
        using var load = new Load(cluster, secret, body, LimitKind.Session, options, session: Guid.NewGuid().ToString());
        // Demand 1×: the cap's worth of requests over the window.
        var requestRate = options.SessionRequests / (double)options.Seconds;
        load.Start(demand <= 0 ? 0 : options.Clients / (requestRate * demand));
        await Task.Delay(TimeSpan.FromSeconds(options.Seconds));
        await load.StopAsync();
        var admitted = load.Results.Count(r => r.Status == HttpStatusCode.OK);
        if (Environment.GetEnvironmentVariable("ACCURACY_DEBUG") is not null)
        {
            Console.Error.WriteLine($"accuracy: session {demand}x: {load.Statuses()}");
        }
        var ratio = admitted / (double)options.SessionRequests;
        return new RunResult(ratio, ratio);
    }

    private static string Setup(AccuracyOptions o)
    {
        var window = o.FromFull
            ? $"Window: the first {o.Seconds} s from a full bucket; ideal = capacity + refill."
            : $"The bucket is drained first at 50× (until every front refused and the 200s cover the full bucket); the clients pause {Quiet.TotalSeconds} s (every slice, reservation and charge is back at the key's grain) and the key's level is read; what the pause let the bucket gather is drained again at 50×; then the demand, 5 s to settle and the {o.Seconds} s window; the clients stop, and {Quiet.TotalSeconds} s later the level is read again.";
        return string.Create(CultureInfo.InvariantCulture,
            $"One silo, N fronts (processes), Postgres; a fresh key per run at {o.RequestsPerMinute} requests/min or the token equivalent (input: {o.RequestsPerMinute} small bodies' tokens/min; output: {o.RequestsPerMinute}×{AccuracyCluster.OutputTokens} tokens/min, max_tokens {OutputReservation} reserved and {AccuracyCluster.OutputTokens} produced). {o.Clients} clients per run over the fronts, sending open loop at the demand (gaps of 0.5–1.5 times the mean, so clients never lock into bursts) (× the limit's rate); closed loop: the next request when the last is answered, 50 ms after a 429. {window} The {o.Runs} runs of a cell go {o.Parallel} at a time, each on its own key, after 5 s of warm-up traffic on a throwaway key per cluster start. ")
            + "`admitted/refill` (the measure of the issue): the units (requests, billed tokens) of the 200s for requests sent in the window ÷ the refill over the window. `admitted/used`: the units of the 200s for requests sent from the resume to the stop ÷ what the key's bucket gave up meanwhile (level at the resume + refill until the second read − level then): below 1 only when the protocol lost units, above 1 only when it admitted more than it took. The first also moves with what the bucket happens to hold at the window's two ends: random demand just above the limit has lulls that leave a few units in it. "
            + string.Create(CultureInfo.InvariantCulture,
                $"Session rows: a fresh session per run with a cap of {o.SessionRequests} requests (no rate limit), {o.Clients} clients over the fronts at the demand × {o.SessionRequests} requests/min for {o.Seconds} s; admitted / cap.");
    }

    private static string Table(List<Cell> cells, AccuracyOptions options, TimeSpan took, string[] args)
    {
        var text = new StringBuilder();
        // bench/accuracy.sh passes --postgres itself: the command shown is what a reader types.
        var shown = args.Where((a, i) => a != "--postgres" && (i == 0 || args[i - 1] != "--postgres"));
        var command = "bash bench/accuracy.sh " + string.Join(' ', shown);
        text.AppendLine(CultureInfo.InvariantCulture, $"## Limit accuracy under contention ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {took.TotalMinutes:0} min, {Environment.ProcessorCount} cores)")
            .AppendLine()
            .AppendLine("```").AppendLine(command.TrimEnd()).AppendLine("```").AppendLine()
            .AppendLine(Setup(options))
            .AppendLine()
            .AppendLine("Target: every run within 0.97–1.02 (PASS/MISS per measure).")
            .AppendLine()
            .AppendLine("| fronts | limit | demand | runs | admitted/refill: median | worst | highest | target | admitted/used: median | worst | highest | target |")
            .AppendLine("|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|");
        foreach (var cell in cells)
        {
            var raw = cell.Runs.Select(r => r.Ratio).Order().ToList();
            var used = cell.Runs.Select(r => r.OfUsed).Where(double.IsFinite).Order().ToList();
            var demand = cell.Demand <= 0 ? "closed loop" : cell.Demand.ToString(CultureInfo.InvariantCulture) + "×";
            var limit = cell.Kind == LimitKind.Session ? "session requests (÷ cap)" : cell.Kind.ToString().ToLowerInvariant();
            var usedColumns = cell.Kind == LimitKind.Session || used.Count == 0 ? "| – | – | – | – " : $"| {Median(used):0.000} | {Worst(used):0.000} | {used[^1]:0.000} | {Verdict(used)} ";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {cell.Fronts} | {limit} | {demand} | {raw.Count} | {Median(raw):0.000} | {Worst(raw):0.000} | {raw[^1]:0.000} | {Verdict(raw)} {usedColumns}|");
        }
        return text.ToString();
    }

    private static string Verdict(List<double> ratios) => ratios.All(r => r is >= 0.97 and <= 1.02) ? "PASS" : "MISS";

    private static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;

    /// <summary>The run furthest from 1 (below or above).</summary>
    private static double Worst(List<double> sorted) => Math.Abs(1 - sorted[0]) >= Math.Abs(sorted[^1] - 1) ? sorted[0] : sorted[^1];

    private sealed record Cell(int Fronts, LimitKind Kind, double Demand, List<RunResult> Runs);

    private readonly record struct RunResult(double Ratio, double OfUsed);

    /// <summary>One run's clients: each sends to one front (round robin over the fronts), paced or closed loop.</summary>
    private sealed class Load : IDisposable
    {
        private readonly HttpClient[] _clients;
        private readonly byte[] _body;
        private readonly LimitKind _kind;
        private readonly int _count;
        private readonly double[] _pacing = [0];
        private readonly CancellationTokenSource _stop = new();
        private Task[] _workers = [];

        public Load(AccuracyCluster cluster, string secret, byte[] body, LimitKind kind, AccuracyOptions options, string? session = null)
        {
            _body = body;
            _kind = kind;
            _count = options.Clients;
            _clients = cluster.Fronts.Select(front =>
            {
                var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 256 })
                {
                    BaseAddress = front,
                    Timeout = TimeSpan.FromSeconds(30),
                    DefaultRequestHeaders = { { "x-api-key", secret }, { "anthropic-version", "2023-06-01" } },
                };
                if (session is not null)
                {
                    client.DefaultRequestHeaders.Add("X-Claude-Code-Session-Id", session);
                }
                return client;
            }).ToArray();
        }

        public Stopwatch Clock { get; } = new();

        public ConcurrentQueue<(TimeSpan SentAt, HttpStatusCode Status, long Units, int Front)> Results { get; } = new();

        private volatile bool _paused;

        public void Start(double interval)
        {
            Pace(interval);
            Clock.Start();
            _workers = Enumerable.Range(0, _count).Select(i => Task.Run(() => ClientAsync(i % _clients.Length))).ToArray();
        }

        public void Pace(double interval) => Volatile.Write(ref _pacing[0], interval);

        /// <summary>No new requests until <see cref="Resume"/>; returns when the ones in flight are answered.</summary>
        public async Task PauseAsync()
        {
            _paused = true;
            while (Volatile.Read(ref _inFlight) > 0)
            {
                await Task.Delay(5);
            }
        }

        public void Resume() => _paused = false;

        private int _inFlight;

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_workers);
        }

        public string Statuses() => string.Join(", ", Results.GroupBy(r => ((int)r.Status, r.Front)).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));

        public void Dispose()
        {
            _stop.Dispose();
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }

        private async Task ClientAsync(int front)
        {
            var stop = _stop.Token;
            // Clients start spread over one pacing interval, as independent clients would.
            var next = Clock.Elapsed + TimeSpan.FromSeconds(Random.Shared.NextDouble() * Volatile.Read(ref _pacing[0]));
            var open = new List<Task>();
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var wait = next - Clock.Elapsed;
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, stop);
                    }
                    if (_paused)
                    {
                        await Task.Delay(5, stop);
                        next = Clock.Elapsed;
                        continue;
                    }
                    var interval = Volatile.Read(ref _pacing[0]);
                    // Gaps of 0.5-1.5 intervals: steady clients that never lock into one burst per interval. Exponential gaps
                    // (a Poisson demand) made a 45 s window's demand itself vary by ±7 %: at 1.2x, some windows asked for
                    // less than the refill, which measured the demand, not the limiter.
                    next = Max(next, Clock.Elapsed) + TimeSpan.FromSeconds((0.5 + Random.Shared.NextDouble()) * interval);
                    if (interval > 0)
                    {
                        // Paced demand is open loop: a slow answer (a loaded machine) must not lower the demand.
                        open.RemoveAll(t => t.IsCompleted);
                        open.Add(SendAsync(front));
                        continue;
                    }
                    if (await SendAsync(front) == HttpStatusCode.TooManyRequests)
                    {
                        next = Max(next, Clock.Elapsed + TimeSpan.FromMilliseconds(50));
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
            }
            await Task.WhenAll(open);
        }

        /// <summary>Not cancelled by the stop: an admitted request in flight then must still be counted.</summary>
        private async Task<HttpStatusCode> SendAsync(int front)
        {
            var sentAt = Clock.Elapsed;
            Interlocked.Increment(ref _inFlight);
            try
            {
                using var content = new ByteArrayContent(_body);
                content.Headers.ContentType = new("application/json");
                using var response = await _clients[front].PostAsync("v1/messages", content);
                var text = await response.Content.ReadAsStringAsync();
                long units = 0;
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var usage = JsonDocument.Parse(text).RootElement.GetProperty("usage");
                    units = _kind switch
                    {
                        LimitKind.Input => usage.GetProperty("input_tokens").GetInt64(),
                        LimitKind.Output => usage.GetProperty("output_tokens").GetInt64(),
                        _ => 1,
                    };
                }
                Results.Enqueue((sentAt, response.StatusCode, units, front));
                if (response.StatusCode != HttpStatusCode.OK && Messages.Count < 50)
                {
                    Messages.Enqueue(text.Length > 200 ? text[..200] : text);
                }
                return response.StatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Results.Enqueue((sentAt, HttpStatusCode.GatewayTimeout, 0, front));
                return HttpStatusCode.GatewayTimeout;
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
    }
}
