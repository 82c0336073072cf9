namespace Gateway.Bench;

/// <summary>
/// Knobs of the peer bench. Defaults give a full run of about 8-9 minutes on 2 cores (the open-streams scenario is 2 of them); <c>--quick</c> is a
/// smoke run of well under a minute (for building the harness, not for figures).
/// </summary>
internal sealed record BenchOptions(
    int Requests,
    int Warmup,
    int Concurrency,
    int Seconds,
    int Rounds,
    int Streams,
    int Sessions,
    int AuditRows,
    int OpenStreams,
    int StreamEventMs,
    string? Output,
    string? Plot,
    string Configuration,
    string? Postgres)
{
    /// <summary>
    /// Extra environment for every gateway front the bench starts (<c>--front-env "NAME=value;NAME=value"</c>), to
    /// compare a runtime setting side by side, e.g. <c>DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> FrontEnv { get; init; } = new Dictionary<string, string>();

    public static BenchOptions Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        string? Str(string name) => CommandLine.Value(args, name);
        int Int(string name, int fallback, int quickFallback) => Str(name) is { } value ? int.Parse(value) : quick ? quickFallback : fallback;
        var output = Str("--output");
        var frontEnv = (Str("--front-env") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");
        return new BenchOptions(
            Requests: Int("--requests", 1500, 100),
            Warmup: Int("--warmup", 200, 20),
            Concurrency: Int("--concurrency", 32, 32),
            Seconds: Int("--seconds", 9, 1),
            Rounds: Int("--rounds", 3, 1),
            Streams: Int("--streams", 80, 8),
            Sessions: Int("--sessions", 10_000, 1_000),
            AuditRows: Int("--audit-rows", 100_000, 10_000),
            OpenStreams: Int("--open-streams", 10_000, 500),
            StreamEventMs: Int("--stream-event-ms", 2_500, 1_000),
            Output: output,
            Plot: Str("--plot") ?? (output is null ? null : Path.Combine(Path.GetDirectoryName(output) ?? ".", "latency.png")),
            Configuration: Str("--configuration") ?? "Release",
            Postgres: Str("--postgres") ?? Environment.GetEnvironmentVariable("GATEWAY_TEST_POSTGRES"))
        {
            FrontEnv = frontEnv,
        };
    }
}
