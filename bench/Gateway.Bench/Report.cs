using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Gateway.Bench;

internal static class Report
{
    public static string Markdown(List<Measurement> results, BenchOptions options)
    {
        var text = new StringBuilder();
        text.AppendLine($"Gateway added latency, concurrency 1, {options.Requests} requests per cell after {options.Warmup} warm-up, interleaved.");
        text.AppendLine($"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        text.AppendLine();
        text.AppendLine("| scenario | system | p50 µs | p90 µs | p99 µs | added p50 µs | added p99 µs | p50 ratio |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var group in results.GroupBy(r => r.Scenario))
        {
            var direct = group.Single(r => r.System == "direct");
            var d50 = Percentile(direct.Micros, 50);
            var d99 = Percentile(direct.Micros, 99);
            foreach (var m in group)
            {
                var p50 = Percentile(m.Micros, 50);
                var p99 = Percentile(m.Micros, 99);
                var added = m.System == "direct" ? "—" : F(p50 - d50);
                var added99 = m.System == "direct" ? "—" : F(p99 - d99);
                text.AppendLine($"| {m.Scenario} | {m.System} | {F(p50)} | {F(Percentile(m.Micros, 90))} | {F(p99)} | {added} | {added99} | {(p50 / d50).ToString("0.00", CultureInfo.InvariantCulture)} |");
            }
        }
        return text.ToString();
    }

    private static string F(double micros) => micros.ToString("0", CultureInfo.InvariantCulture);

    private static double Percentile(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
