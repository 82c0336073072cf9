namespace Gateway.Bench;

/// <summary>Samples (µs) of one scenario on one system; req/s for load scenarios.</summary>
internal sealed record Measurement(string Scenario, Target System, double[] Micros, double? RequestsPerSecond = null, RequestCost? Cost = null)
{
    public double P(double percentile) => Stats.Percentile(Micros, percentile);
}

internal static class Stats
{
    public static double Percentile(double[] values, double p)
    {
        if (values.Length == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public static double Median(IEnumerable<double> values) => Percentile(values.ToArray(), 50);
}

/// <summary>Scenario names, built in one place so the benches and the report agree.</summary>
internal static class Scenarios
{
    public static string Latency(Body body) => body.Stream ? $"time to first SSE byte, {body.Name}, c=1" : $"non-streaming, {body.Name}, c=1";

    /// <summary>c=1 with each system's requests back to back (its threads stay awake) instead of interleaved.</summary>
    public static string BackToBack(Body body) => $"non-streaming, {body.Name}, c=1 back to back";

    /// <summary>c=1, each request sent after the system sat idle for <paramref name="idleMs"/> (blocks per system).</summary>
    public static string AfterIdle(Body body, int idleMs) => $"non-streaming, {body.Name}, c=1 after {idleMs} ms idle";

    public static string Load(Body body, int concurrency) => $"non-streaming, {body.Name}, c={concurrency}";

    public static string Events(Body body) => $"per-event delay, {body.Name} streamed, events {StreamingBench.EventIntervalMs} ms apart";
}
