using System.Globalization;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.EventPipe;

namespace Gateway.Bench;

/// <summary>
/// The <c>trace-report</c> subcommand: reads a <c>dotnet-trace</c> file and prints markdown tables for
/// docs/performance.md. From thread-time samples (profile <c>dotnet-sampled-thread-time</c>): the frames
/// where threads were running managed code, exclusive (top of stack) and inclusive (anywhere on it). From
/// allocation ticks (profile <c>gc-verbose</c>, one tick per ~100 KB allocated): the types allocated and the
/// methods allocating them. A hand-written reader because TraceEvent's own views (PerfView) are Windows GUIs.
/// </summary>
internal static class TraceReport
{
    public static void RunCommand(string[] args)
    {
        var path = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal))
            ?? throw new ArgumentException("usage: trace-report <file.nettrace> [--top 25] [--requests N]");
        var top = Array.IndexOf(args, "--top") is var t and >= 0 ? int.Parse(args[t + 1], CultureInfo.InvariantCulture) : 25;
        // --focus text: only the samples and ticks with a frame containing the text (its callers then show inclusive).
        var focus = Array.IndexOf(args, "--focus") is var f and >= 0 ? args[f + 1] : null;
        var etlx = TraceLog.CreateFromEventPipeDataFile(path, null, new TraceLogOptions { ContinueOnError = true });
        using var log = new TraceLog(etlx);
        var source = log.Events.GetSource();

        var exclusive = new Dictionary<string, int>();
        var inclusive = new Dictionary<string, int>();
        var running = 0;
        var blocked = 0;
        var allocByType = new Dictionary<string, double>();
        var allocByMethod = new Dictionary<string, double>();
        var allocByGatewayFrame = new Dictionary<string, double>();
        var allocInclusive = new Dictionary<string, double>();
        var allocTotal = 0.0;

        var sampler = new SampleProfilerTraceEventParser(source);
        sampler.ThreadSample += data =>
        {
            if (data.Type != ClrThreadSampleType.Managed)
            {
                blocked++;
                return;
            }
            running++;
            var frames = Frames(data.CallStack()).ToList();
            if (frames.Count == 0 || (focus is not null && !frames.Any(x => x.Contains(focus, StringComparison.Ordinal))))
            {
                return;
            }
            Add(exclusive, frames[0], 1);
            foreach (var frame in frames.Distinct())
            {
                Add(inclusive, frame, 1);
            }
        };
        source.Clr.GCAllocationTick += data =>
        {
            var amount = data.AllocationAmount64;
            var frames = Frames(data.CallStack()).ToList();
            if (focus is not null && !frames.Any(x => x.Contains(focus, StringComparison.Ordinal)))
            {
                return;
            }
            allocTotal += amount;
            Add(allocByType, data.TypeName ?? "?", amount);
            Add(allocByMethod, frames.FirstOrDefault() ?? "?", amount);
            foreach (var frame in frames.Distinct())
            {
                Add(allocInclusive, frame, amount);
            }
            Add(allocByGatewayFrame, frames.FirstOrDefault(f => f.StartsWith("Gateway.", StringComparison.Ordinal)) ?? "(no Gateway frame)", amount);
        };
        source.Process();

        if (running + blocked > 0)
        {
            Console.WriteLine($"Thread-time samples: {running:N0} running managed code, {blocked:N0} waiting or in native code (left out).");
            Console.WriteLine();
            Table("Exclusive (top of stack), running samples", exclusive, running, top, "samples");
            Table("Inclusive (anywhere on the stack), running samples", inclusive, running, top, "samples");
        }
        if (allocTotal > 0)
        {
            Console.WriteLine($"Allocation ticks: {allocTotal / 1024 / 1024:0.0} MiB sampled.");
            Console.WriteLine();
            Table("Allocated, by type", allocByType, allocTotal, top, "MiB");
            Table("Allocated, by allocating method (top of stack)", allocByMethod, allocTotal, top, "MiB");
            Table("Allocated, by the nearest Gateway.* frame", allocByGatewayFrame, allocTotal, top, "MiB");
            if (focus is not null)
            {
                Table("Allocated, inclusive", allocInclusive, allocTotal, top, "MiB");
            }
        }
    }

    private static IEnumerable<string> Frames(TraceCallStack? stack)
    {
        for (; stack is not null; stack = stack.Caller)
        {
            var address = stack.CodeAddress;
            var method = address.FullMethodName;
            yield return string.IsNullOrEmpty(method) ? $"[{address.ModuleName}]" : method;
        }
    }

    private static void Add(Dictionary<string, double> map, string key, double amount) =>
        map[key] = map.GetValueOrDefault(key) + amount;

    private static void Add(Dictionary<string, int> map, string key, int amount) =>
        map[key] = map.GetValueOrDefault(key) + amount;

    private static void Table(string title, Dictionary<string, int> map, int total, int top, string unit) =>
        Table(title, map.ToDictionary(p => p.Key, p => (double)p.Value), total, top, unit);

    private static void Table(string title, Dictionary<string, double> map, double total, int top, string unit)
    {
        Console.WriteLine($"### {title}");
        Console.WriteLine();
        Console.WriteLine($"| % | {unit} | frame |");
        Console.WriteLine("|---:|---:|---|");
        foreach (var (key, value) in map.OrderByDescending(p => p.Value).Take(top))
        {
            var shown = unit == "MiB" ? (value / 1024 / 1024).ToString("0.0", CultureInfo.InvariantCulture) : value.ToString("0", CultureInfo.InvariantCulture);
            var name = key.Length > 160 ? key[..160] + "…" : key;
            Console.WriteLine($"| {value / total * 100:0.0} | {shown} | `{name.Replace("|", "\\|")}` |");
        }
        Console.WriteLine();
    }
}
