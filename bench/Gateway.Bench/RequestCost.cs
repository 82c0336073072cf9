using System.Globalization;

namespace Gateway.Bench;

/// <summary>What a system spent per request over a load scenario: CPU time (its process tree, from /proc), and
/// for the gateway's processes bytes allocated and thread-pool work items (from their /metrics).</summary>
internal sealed record RequestCost(double CpuMicros, double? AllocatedBytes, double? WorkItems);

/// <summary>Running totals of one system, read before and after each round of a load scenario.</summary>
internal sealed record CostSnapshot(double CpuSeconds, double? AllocatedBytes, double? WorkItems)
{
    private static readonly HttpClient Scraper = new() { Timeout = TimeSpan.FromSeconds(5) };

    public static async Task<CostSnapshot> ReadAsync(Target target)
    {
        double? allocated = null;
        double? workItems = null;
        foreach (var url in target.MetricsUrls)
        {
            string text;
            try
            {
                text = await Scraper.GetStringAsync(new Uri(url, "metrics"));
            }
            catch (HttpRequestException)
            {
                continue; // not a gateway process (or /metrics on another port): no allocation figures
            }
            foreach (var line in text.Split('\n'))
            {
                if (Value(line, "dotnet_gc_allocated_bytes_total ") is { } a)
                {
                    allocated = (allocated ?? 0) + a;
                }
                else if (Value(line, "dotnet_threadpool_completed_work_items_total ") is { } w)
                {
                    workItems = (workItems ?? 0) + w;
                }
            }
        }
        return new CostSnapshot(ProcessCpu.Seconds(target.Pids), allocated, workItems);
    }

    private static double? Value(string line, string prefix) =>
        line.StartsWith(prefix, StringComparison.Ordinal) ? double.Parse(line[prefix.Length..], CultureInfo.InvariantCulture) : null;

    public static CostSnapshot operator -(CostSnapshot after, CostSnapshot before) =>
        new(after.CpuSeconds - before.CpuSeconds, after.AllocatedBytes - before.AllocatedBytes, after.WorkItems - before.WorkItems);

    public static CostSnapshot operator +(CostSnapshot a, CostSnapshot b) =>
        new(a.CpuSeconds + b.CpuSeconds, a.AllocatedBytes + b.AllocatedBytes, a.WorkItems + b.WorkItems);

    public RequestCost PerRequest(long requests) =>
        new(CpuSeconds * 1e6 / Math.Max(1, requests), AllocatedBytes / Math.Max(1, requests), WorkItems / Math.Max(1, requests));
}
