using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Gateway.Bench;

internal static class Report
{
    public static string Markdown(List<Measurement> results, BenchOptions options, string command)
    {
        var text = new StringBuilder();
        text.AppendLine($"`{command}`");
        text.AppendLine();
        text.AppendLine($"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. "
            + $"Latency rows: {options.Requests} requests per system after {options.Warmup} warm-up, interleaved across systems. "
            + $"Load rows: {options.Concurrency} concurrent clients for {options.Seconds} s per system. All on loopback, each system its own process.");
        text.AppendLine();
        text.AppendLine("| scenario | system | p50 µs | p90 µs | p99 µs | added p50 µs | added p99 µs | req/s |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var group in results.GroupBy(r => r.Scenario))
        {
            var floor = group.First();
            var f50 = Percentile(floor.Micros, 50);
            var f99 = Percentile(floor.Micros, 99);
            foreach (var m in group)
            {
                var p50 = Percentile(m.Micros, 50);
                var p99 = Percentile(m.Micros, 99);
                var isFloor = ReferenceEquals(m, floor);
                text.AppendLine($"| {m.Scenario} | {m.System} | {F(p50)} | {F(Percentile(m.Micros, 90))} | {F(p99)} | "
                    + $"{(isFloor ? "—" : F(p50 - f50))} | {(isFloor ? "—" : F(p99 - f99))} | {(m.RequestsPerSecond is { } rps ? F(rps) : "")} |");
            }
        }
        text.AppendLine();
        text.AppendLine("Ratios (same run):");
        foreach (var group in results.GroupBy(r => r.Scenario))
        {
            var list = group.ToList();
            if (list.Count < 3)
            {
                continue;
            }
            var floor = Percentile(list[0].Micros, 50);
            var plainAdded = Percentile(list[1].Micros, 50) - floor;
            var keysAdded = Percentile(list[2].Micros, 50) - floor;
            var line = $"- {group.Key}: added p50 with virtual keys / pass-through = {Ratio(keysAdded, plainAdded)}";
            if (list[1].RequestsPerSecond is { } plainRps && list[2].RequestsPerSecond is { } keysRps)
            {
                line += $"; req/s with virtual keys / pass-through = {Ratio(keysRps, plainRps)}; pass-through / direct = {Ratio(plainRps, list[0].RequestsPerSecond!.Value)}";
                if (list.Count > 3 && list[3].RequestsPerSecond is { } auditRps)
                {
                    line += $"; req/s with audit on / off (both with virtual keys) = {Ratio(auditRps, keysRps)}";
                }
            }
            text.AppendLine(line);
        }
        return text.ToString();
    }

    private static string Ratio(double a, double b) => b == 0 ? "n/a" : (a / b).ToString("0.00", CultureInfo.InvariantCulture);

    private static string F(double micros) => micros.ToString("0", CultureInfo.InvariantCulture);

    private static double Percentile(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
