namespace Gateway.Bench;

/// <summary>Which bucket a key is limited by in the accuracy bench.</summary>
internal enum LimitKind
{
    Requests,
    Input,
    Output,

    /// <summary>A per-session request cap (a lifetime count, not a rate).</summary>
    Session,
}

/// <summary>
/// Knobs of the limit-accuracy bench (<c>accuracy</c> subcommand): the cells (fronts × limit × demand) and how
/// long and how often each is measured.
/// </summary>
internal sealed record AccuracyOptions(
    int[] Fronts,
    LimitKind[] Kinds,
    double[] Demands,
    int Seconds,
    int Runs,
    int Clients,
    int RequestsPerMinute,
    int Parallel,
    int SessionRequests,
    bool FromFull,
    string? Postgres,
    string? Append,
    string Configuration)
{
    public static AccuracyOptions Parse(string[] args)
    {
        string? Str(string name) => CommandLine.Value(args, name);
        int Int(string name, int fallback) => Str(name) is { } s ? int.Parse(s) : fallback;
        string[] List(string name, string fallback) => (Str(name) ?? fallback).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new AccuracyOptions(
            Fronts: List("--fronts", "1,2,4").Select(int.Parse).ToArray(),
            Kinds: List("--limits", "requests,input,output,session").Select(k => Enum.Parse<LimitKind>(k, ignoreCase: true)).ToArray(),
            Demands: List("--demand", "1.2,50").Select(d => d == "closed" ? 0 : double.Parse(d, System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            Seconds: Int("--seconds", 45),
            Runs: Int("--runs", 10),
            Clients: Int("--clients", 12),
            RequestsPerMinute: Int("--rpm", 240),
            Parallel: Math.Max(1, Int("--parallel", 5)),
            SessionRequests: Int("--session-requests", 120),
            FromFull: args.Contains("--from-full"),
            Postgres: Str("--postgres") ?? Environment.GetEnvironmentVariable("GATEWAY_TEST_POSTGRES"),
            Append: Str("--append"),
            Configuration: Str("--configuration") ?? "Release");
    }
}
