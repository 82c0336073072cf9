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
/// key per run, clients spread over the fronts sending at random at a multiple of the limit's rate. The bucket (which
/// starts full) is drained first, until every front has refused and the 200s cover the bucket, then 5 s at the demand;
/// then the window counts the units (requests, or billed tokens) of its 200s against the refill over the window
/// (with <c>--from-full</c>: the window starts at the first request, and the full bucket counts too). The key's
/// bucket level is read from its grain at both ends, so the table also shows admitted / (refill − what the bucket
/// gained): a window that ends with tokens left in the bucket (a lull in random demand, or a denial that stood too
/// long) is told apart from tokens that were lost. Session caps: a fresh session per run whose key allows a number
/// of requests per session, its requests spread over the fronts; admitted / the cap.
/// The runs of a cell go side by side (<c>--parallel</c>), each on its own key, as tenants would.
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
        TimeSpan windowStart;
        if (options.FromFull)
        {
            levelAtStart = perMinute;
            load.Start(Interval(demand));
            windowStart = TimeSpan.Zero;
        }
        else
        {
            load.Start(Interval(Math.Max(demand, 50)));
            // Drained: every front has refused and the 200s cover the full bucket (token limits refuse while most of it
            // is still out as reservations awaiting true-up).
            while (load.Results.Where(r => r.Status == HttpStatusCode.TooManyRequests).Select(r => r.Front).Distinct().Count() < cluster.Fronts.Count
                || load.Results.Where(r => r.Status == HttpStatusCode.OK).Sum(r => r.Units) < perMinute)
            {
                if (load.Clock.Elapsed > TimeSpan.FromMinutes(2))
                {
                    throw new TimeoutException($"the key was never drained on every front ({load.Statuses()}; {string.Join(" | ", Messages.Distinct().Take(3))})");
                }
                await Task.Delay(20);
            }
            // 5 s at the target demand before the window: what the key holds unused in steady state (a token limit
            // needs a whole reservation in its bucket to admit) differs between demands, and must not count.
            load.Pace(Interval(demand));
            await Task.Delay(TimeSpan.FromSeconds(5));
            windowStart = load.Clock.Elapsed;
            levelAtStart = await cluster.RemainingAsync(keyId, bucket);
        }
        var window = TimeSpan.FromSeconds(options.Seconds);
        await Task.Delay(windowStart + window - load.Clock.Elapsed);
        var levelAtEnd = await cluster.RemainingAsync(keyId, bucket);
        await load.StopAsync();
        var admitted = load.Results.Where(r => r.At >= windowStart && r.At < windowStart + window && r.Status == HttpStatusCode.OK).Sum(r => r.Units);
        if (Environment.GetEnvironmentVariable("ACCURACY_DEBUG") is not null)
        {
            Console.Error.WriteLine($"accuracy: {kind} {demand}x: {load.Statuses()}; level {levelAtStart} -> {levelAtEnd}; 200s per second "
                + string.Join(" ", load.Results.Where(r => r.Status == HttpStatusCode.OK && r.At >= windowStart)
                    .GroupBy(r => (int)(r.At - windowStart).TotalSeconds).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Count()}")));
        }
        var refill = perMinute / 60 * window.TotalSeconds;
        var ideal = refill + (options.FromFull ? perMinute : 0);
        // What the bucket made available in the window: its refill, less what it gained (or plus what it lost) meanwhile.
        var available = refill + levelAtStart - levelAtEnd;
        return new RunResult(admitted / ideal, available > 0 ? admitted / available : double.NaN);
    }

    /// <summary>
    /// One session with a cap of <see cref="AccuracyOptions.SessionRequests"/> requests, its requests spread over every
    /// front at the demand (× the cap's worth per minute): how many the cluster admits of the cap. No rate limit.
    /// </summary>
    private static async Task<RunResult> SessionRunAsync(AccuracyCluster cluster, double demand, AccuracyOptions options)
    {
        var (_, secret) = await cluster.CreateKeyAsync(new { }, new { max_requests = options.SessionRequests });
        var body = Encoding.UTF8.GetBytes(SmallJson);
        using var load = new Load(cluster, secret, body, LimitKind.Session, options, session: Guid.NewGuid().ToString());
        var requestRate = options.SessionRequests / 60.0;
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
            : $"The bucket is drained first (until every front refused and the 200s cover the full bucket), then 5 s at the demand; window {o.Seconds} s; ideal = the refill over the window.";
        return string.Create(CultureInfo.InvariantCulture,
            $"One silo, N fronts (processes), Postgres; a fresh key per run at {o.RequestsPerMinute} requests/min or the token equivalent (input: {o.RequestsPerMinute} small bodies' tokens/min; output: {o.RequestsPerMinute}×{AccuracyCluster.OutputTokens} tokens/min, max_tokens {OutputReservation} reserved and {AccuracyCluster.OutputTokens} produced). {o.Clients} clients per run over the fronts, sending open loop at random (exponential gaps) at the demand (× the limit's rate); closed loop: the next request when the last is answered, 50 ms after a 429. {window} The {o.Runs} runs of a cell go {o.Parallel} at a time, each on its own key. ")
            + "`admitted/refill` is the issue's measure; `admitted/available` divides by the refill less what the key's bucket (read from its grain at both ends of the window) gained, which separates tokens lost by the protocol from tokens still in the bucket when the window closed (random demand at 1.2× has lulls). "
            + string.Create(CultureInfo.InvariantCulture,
                $"Session rows: a fresh session per run with a cap of {o.SessionRequests} requests (no rate limit), {o.Clients} clients over the fronts at the demand × {o.SessionRequests} requests/min for {o.Seconds} s; admitted / cap.");
    }

    private static string Table(List<Cell> cells, AccuracyOptions options, TimeSpan took, string[] args)
    {
        var text = new StringBuilder();
        var command = "bash bench/accuracy.sh " + string.Join(' ', args.Where(a => !a.Contains("Host=")));
        text.AppendLine(CultureInfo.InvariantCulture, $"## Limit accuracy under contention ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {took.TotalMinutes:0} min, {Environment.ProcessorCount} cores)")
            .AppendLine()
            .AppendLine("```").AppendLine(command.TrimEnd()).AppendLine("```").AppendLine()
            .AppendLine(Setup(options))
            .AppendLine()
            .AppendLine("Target: every run within 0.97–1.02.")
            .AppendLine()
            .AppendLine("| fronts | limit | demand | runs | admitted/refill: median | worst | highest | admitted/available: median | worst | highest | target |")
            .AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var cell in cells)
        {
            var raw = cell.Runs.Select(r => r.Ratio).Order().ToList();
            var corrected = cell.Runs.Select(r => r.OfAvailable).Where(double.IsFinite).Order().ToList();
            var pass = raw.All(r => r is >= 0.97 and <= 1.02);
            var demand = cell.Demand <= 0 ? "closed loop" : cell.Demand.ToString(CultureInfo.InvariantCulture) + "×";
            var limit = cell.Kind == LimitKind.Session ? "session requests" : cell.Kind.ToString().ToLowerInvariant();
            var available = cell.Kind == LimitKind.Session || corrected.Count == 0 ? "| – | – | – " : $"| {Median(corrected):0.000} | {Worst(corrected):0.000} | {corrected[^1]:0.000} ";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {cell.Fronts} | {limit} | {demand} | {raw.Count} | {Median(raw):0.000} | {Worst(raw):0.000} | {raw[^1]:0.000} {available}| {(pass ? "PASS" : "MISS")} |");
        }
        return text.ToString();
    }

    private static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;

    /// <summary>The run furthest from 1 (below or above).</summary>
    private static double Worst(List<double> sorted) => Math.Abs(1 - sorted[0]) >= Math.Abs(sorted[^1] - 1) ? sorted[0] : sorted[^1];

    private sealed record Cell(int Fronts, LimitKind Kind, double Demand, List<RunResult> Runs);

    private readonly record struct RunResult(double Ratio, double OfAvailable);

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

        public ConcurrentQueue<(TimeSpan At, HttpStatusCode Status, long Units, int Front)> Results { get; } = new();

        public void Start(double interval)
        {
            Pace(interval);
            Clock.Start();
            _workers = Enumerable.Range(0, _count).Select(i => Task.Run(() => ClientAsync(i % _clients.Length))).ToArray();
        }

        public void Pace(double interval) => Volatile.Write(ref _pacing[0], interval);

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
                    var interval = Volatile.Read(ref _pacing[0]);
                    // Exponential gaps (independent clients): a fixed interval would lock the clients into one burst per interval.
                    next = Max(next, Clock.Elapsed) + TimeSpan.FromSeconds(-Math.Log(1 - Random.Shared.NextDouble()) * interval);
                    if (interval > 0)
                    {
                        // Paced demand is open loop: a slow answer (a loaded machine) must not lower the demand.
                        open.RemoveAll(t => t.IsCompleted);
                        open.Add(SendAsync(front, stop));
                        continue;
                    }
                    if (await SendAsync(front, stop) == HttpStatusCode.TooManyRequests)
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

        private async Task<HttpStatusCode> SendAsync(int front, CancellationToken stop)
        {
            try
            {
                using var content = new ByteArrayContent(_body);
                content.Headers.ContentType = new("application/json");
                using var response = await _clients[front].PostAsync("v1/messages", content, stop);
                var text = await response.Content.ReadAsStringAsync(stop);
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
                Results.Enqueue((Clock.Elapsed, response.StatusCode, units, front));
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
                Results.Enqueue((Clock.Elapsed, HttpStatusCode.GatewayTimeout, 0, front));
                return HttpStatusCode.GatewayTimeout;
            }
        }

        private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
    }
}
