namespace Gateway.Bench;

internal sealed record BenchOptions(int Requests, int Warmup, int Concurrency, int Seconds, string? Output, string Configuration, string? Postgres)
{
    public static BenchOptions Parse(string[] args)
    {
        int Int(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
        string? Str(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        return new BenchOptions(Int("--requests", 2000), Int("--warmup", 300), Int("--concurrency", 32), Int("--seconds", 10),
            Str("--output"), Str("--configuration") ?? "Release", Str("--postgres"));
    }
}
