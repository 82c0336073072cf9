using System.Globalization;
using System.Text;

namespace Gateway.Bench;

/// <summary>Everything one run measured, for the report.</summary>
internal sealed record RunResults(
    List<Measurement> Measurements,
    MemoryFigures? Memory,
    (string Table, double SinkRowsPerSecond)? Audit,
    BenchOptions Options,
    string Command,
    string MachineDescription)
{
    /// <summary>The open-streams scenario, one entry per system (empty when it did not run).</summary>
    public List<OpenStreamsFigures> OpenStreams { get; init; } = [];
}

/// <summary>
/// The markdown report: a summary table of every system side by side (added = system − direct, the same
/// percentile of the same run), the targets with PASS/MISS, memory and audit figures, and every percentile.
/// </summary>
internal static class Report
{
    public static string Markdown(RunResults run)
    {
        var o = run.Options;
        var m = run.Measurements;
        // By kind (a stable sort): the streaming-only Bedrock row lands beside the pass-through gateway it mirrors.
        var systems = m.Select(x => x.System).Distinct().OrderBy(s => s.Kind).ToList();
        var text = new StringBuilder();
        text.AppendLine("# The gateway beside its peers");
        text.AppendLine();
        text.AppendLine("One run, every system side by side against the same fake Anthropic upstream on loopback, each in its own process.");
        text.AppendLine();
        text.AppendLine("```");
        text.AppendLine(run.Command);
        text.AppendLine("```");
        text.AppendLine();
        text.AppendLine(run.MachineDescription);
        text.AppendLine();
        if (o.FrontEnv.Count > 0)
        {
            text.AppendLine("Gateway fronts ran with: " + string.Join(", ", o.FrontEnv.Select(kv => $"`{kv.Key}={kv.Value}`")) + ".");
            text.AppendLine();
        }

        text.AppendLine("## Summary");
        text.AppendLine();
        text.AppendLine("Added latency = the system's percentile − direct's same percentile, same run (µs; direct's row gives its own figures, the floor). "
            + $"c=1: {o.Requests} requests per system after {o.Warmup} warm-up, interleaved request by request; \"back to back\": the same small request in blocks of consecutive requests per system (blocks rotated), so the system's threads stay awake. "
            + $"c={o.Concurrency}: closed loop, {o.Seconds} s per system in {o.Rounds} interleaved rounds, req/s the median round. "
            + $"Per-event: streamed replies with events {StreamingBench.EventIntervalMs} ms apart, each event timed from the fake writing it to its arrival "
            + "(same monotonic clock), first event left out (that is the time to first byte). "
            + "Bedrock-routed: the pass-through gateway with the model routed to a `bedrock` provider on the fake (InvokeModel body, SigV4 checked by the fake, "
            + "each event re-framed by the fake as an eventstream chunk and turned back into SSE by the gateway); measured in the per-event scenario only, "
            + "its stamp taken as the fake writes the frame. "
            + "Bare YARP forwarder: Kestrel and YARP's `IHttpForwarder` passing every request through with nothing else (`Gateway.Bench bare-forwarder`), "
            + "the floor for any .NET front on this machine; the gateway's own work is what its rows add on top of it.");
        text.AppendLine();
        var small = Bodies.Small;
        var large = Bodies.Large;
        var columns = new (string Header, string Scenario, bool Rate)[]
        {
            ("c=1 small: added p50 / p99", Scenarios.Latency(small), false),
            ("c=1 small back to back: added p50 / p99", Scenarios.BackToBack(small), false),
            ($"c=1 {large.Name}: added p50 / p99", Scenarios.Latency(large), false),
            ("first SSE byte, small: added p50 / p99", Scenarios.Latency(Bodies.SmallStream), false),
            ($"first SSE byte, {large.Name}: added p50 / p99", Scenarios.Latency(Bodies.LargeStream), false),
            ($"c={o.Concurrency} small: added p50 / p99", Scenarios.Load(small, o.Concurrency), false),
            ($"req/s c={o.Concurrency} small", Scenarios.Load(small, o.Concurrency), true),
            ($"req/s c={o.Concurrency} {large.Name}", Scenarios.Load(large, o.Concurrency), true),
            ($"CPU µs per request c={o.Concurrency} small", Scenarios.Load(small, o.Concurrency), true),
            ("per-event delay small: added p50 / p99", Scenarios.Events(Bodies.SmallStream), false),
            ($"per-event delay {large.Name}: added p50 / p99", Scenarios.Events(Bodies.LargeStream), false),
        };
        text.AppendLine("| system | " + string.Join(" | ", columns.Select(c => c.Header)) + " |");
        text.AppendLine("|---|" + string.Concat(columns.Select(_ => "---:|")));
        foreach (var system in systems)
        {
            var cells = columns.Select(c =>
            {
                var x = Find(m, c.Scenario, system);
                if (x is null)
                {
                    return "n/a";
                }
                if (c.Header.StartsWith("CPU", StringComparison.Ordinal))
                {
                    return x.Cost is { } cost ? F(cost.CpuMicros) : "n/a";
                }
                if (c.Rate)
                {
                    return x.RequestsPerSecond is { } rps ? F(rps) : "n/a";
                }
                if (system.Kind == SystemKind.Direct)
                {
                    return $"({F(x.P(50))} / {F(x.P(99))})";
                }
                var floor = Find(m, c.Scenario, systems[0])!;
                return $"{F(x.P(50) - floor.P(50))} / {F(x.P(99) - floor.P(99))}";
            });
            text.AppendLine($"| {system.Name} | " + string.Join(" | ", cells) + " |");
        }
        text.AppendLine();

        if (Find(m, Scenarios.AfterIdle(small, LatencyBench.IdleGapsMs[0]), systems[0]) is not null)
        {
            text.AppendLine("## Waking after idle");
            text.AppendLine();
            text.AppendLine("The small request at c=1, each system measured in blocks of its own requests: back to back (warm), and each request sent after the machine sat "
                + "idle (a sleep in the bench) for " + string.Join(" or ", LatencyBench.IdleGapsMs.Select(g => $"{g} ms")) + ". "
                + "p50 through the system, and in brackets added over direct's p50 in the same scenario. Direct's own row is what waking costs a .NET server "
                + "(the fake); the bare forwarder's is what it costs any Kestrel + YARP front on this machine, before the gateway's own work.");
            text.AppendLine();
            var idle = new[] { ("back to back", Scenarios.BackToBack(small)) }
                .Concat(LatencyBench.IdleGapsMs.Select(g => ($"after {g} ms idle", Scenarios.AfterIdle(small, g)))).ToList();
            text.AppendLine("| system | " + string.Join(" | ", idle.Select(c => $"{c.Item1}: p50 (added)")) + " |");
            text.AppendLine("|---|" + string.Concat(idle.Select(_ => "---:|")));
            foreach (var system in systems.Where(s => s.Kind != SystemKind.PassThroughBedrock))
            {
                var cells = idle.Select(c => Find(m, c.Item2, system) is { } x && Find(m, c.Item2, systems[0]) is { } floor
                    ? (system.Kind == SystemKind.Direct ? $"{F(x.P(50))}" : $"{F(x.P(50))} (+{F(x.P(50) - floor.P(50))})")
                    : "n/a");
                text.AppendLine($"| {system.Name} | " + string.Join(" | ", cells) + " |");
            }
            text.AppendLine();
        }

        text.AppendLine("## Targets");
        text.AppendLine();
        text.AppendLine("The gateway with everything on, through one front (the two-front figures are in the tables).");
        text.AppendLine();
        text.AppendLine("| target | measured | result |");
        text.AppendLine("|---|---|---|");
        foreach (var line in Targets(run))
        {
            text.AppendLine(line);
        }
        text.AppendLine();

        text.AppendLine("## Cost per request");
        text.AppendLine();
        text.AppendLine($"During the c={o.Concurrency} scenarios: CPU time of each system's processes (utime + stime from `/proc/<pid>/stat`, children included: "
            + "nginx's workers, Portkey's node process; front and silo for the everything-on gateway; the fake upstream's own for direct) divided by the requests it answered; "
            + "for the gateway's processes also the bytes they allocated and the thread-pool work items they ran (exact totals from their `/metrics`, "
            + "`dotnet_gc_allocated_bytes_total` and `dotnet_threadpool_completed_work_items_total`, read before and after each round).");
        text.AppendLine();
        text.AppendLine("| system | " + string.Join(" | ", new[] { small, large }.SelectMany(b => new[] { $"CPU µs/request, {b.Name}", $"bytes allocated/request, {b.Name}", $"thread-pool work items/request, {b.Name}" })) + " |");
        text.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", 6)));
        foreach (var system in systems.Where(s => s.Kind != SystemKind.PassThroughBedrock)) // per-event figures only
        {
            var cells = new[] { small, large }.SelectMany(b =>
            {
                var cost = Find(m, Scenarios.Load(b, o.Concurrency), system)?.Cost;
                return new[] { cost is null ? "n/a" : F(cost.CpuMicros), cost?.AllocatedBytes is { } a ? F(a) : "n/a", cost?.WorkItems is { } w ? w.ToString("0.0", CultureInfo.InvariantCulture) : "n/a" };
            });
            text.AppendLine($"| {system.Name} | " + string.Join(" | ", cells) + " |");
        }
        text.AppendLine();

        if (run.OpenStreams.Count > 0)
        {
            text.AppendLine($"## {o.OpenStreams:N0} open streams");
            text.AppendLine();
            text.AppendLine($"{o.OpenStreams:N0} streamed requests held open at once through one system, events {o.StreamEventMs} ms apart (like as many Claude Code users in long turns; "
                + $"18 events a stream). Memory and threads: the system's processes (nginx: master and workers) before the streams and while all are open; "
                + "per stream = the growth of the resident set ÷ streams open. CPU: % of one core, idle before and while holding the streams. "
                + "Per-event delay: from the fake upstream writing an event to its arrival at the client (same clock), for every event arriving once all streams were open. "
                + "nginx speaks HTTP/1.1 to its upstream (a connection per stream); the front speaks HTTP/2 (h2c here, as over TLS to the Anthropic API), so its streams share a few upstream connections.");
            text.AppendLine();
            text.AppendLine("| system | streams opened, at once (failed) | time to open all | resident set idle → open | per open stream | threads idle → open | CPU idle / holding | events/s | per-event delay p50 / p99 / p99.9 |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var s in run.OpenStreams)
            {
                text.AppendLine($"| {s.System.Name} | {s.Opened:N0}, {s.Peak:N0} ({s.Failed:N0}) | {s.OpenSeconds:0.0} s | {MiB(s.ResidentIdle)} → {MiB(s.ResidentOpen)} MiB | {s.BytesPerStream / 1024:0.0} KiB | "
                    + $"{s.ThreadsIdle} → {s.ThreadsOpen} | {s.CpuIdlePercent:0.0}% / {s.CpuOpenPercent:0.0}% | {s.EventsPerSecond:N0} | "
                    + $"{Ms(Stats.Percentile(s.Delays, 50))} / {Ms(Stats.Percentile(s.Delays, 99))} / {Ms(Stats.Percentile(s.Delays, 99.9))} ms ({s.Delays.Length:N0} events) |");
                if (s.FirstFailure is { } failure)
                {
                    text.AppendLine($"|  ↳ first failure | {failure.ReplaceLineEndings(" ").Replace("|", "\\|")[..Math.Min(failure.Length, 200)]} | | | | | | | |");
                }
            }
            text.AppendLine();
        }

        text.AppendLine("## Memory and audit");
        text.AppendLine();
        if (run.Memory is { } mem)
        {
            text.AppendLine($"- Session grains (silo process): {mem.Activated:N0} sessions activated by as many requests, each with its own `X-Claude-Code-Session-Id`, "
                + $"through the everything-on front. Managed heap after a full GC: {MiB(mem.HeapBefore)} → {MiB(mem.HeapAfter)} MiB, "
                + $"**{mem.HeapBytesPerSession / 1024:0.0} KiB per idle session grain**, {MiB(mem.HeapAfter - mem.HeapBefore)} MiB for {mem.Activated:N0} sessions. "
                + $"Resident set: {MiB(mem.ResidentBefore)} → {MiB(mem.ResidentAfter)} MiB ({mem.ResidentBytesPerSession / 1024:0.0} KiB per session; "
                + "it also holds what the GC keeps reserved, so it moves in steps).");
        }
        else
        {
            text.AppendLine("- Session memory: not measured (no everything-on cluster).");
        }
        if (run.Audit is { } audit)
        {
            text.AppendLine($"- Audit: **{audit.SinkRowsPerSecond:N0} rows/s** through `PostgresAuditSink` end to end ({o.AuditRows:N0} rows, one run; the `audit` subcommand's table below).");
        }
        else
        {
            text.AppendLine("- Audit: not measured (no `--postgres`).");
        }
        text.AppendLine();

        text.AppendLine("## Every figure");
        text.AppendLine();
        text.AppendLine("| scenario | system | p50 µs | p90 µs | p99 µs | p99.9 µs | added p50 µs | added p99 µs | req/s | samples |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in m.GroupBy(x => x.Scenario))
        {
            var floor = group.First();
            foreach (var x in group)
            {
                var isFloor = ReferenceEquals(x, floor);
                text.AppendLine($"| {x.Scenario} | {x.System.Name} | {F(x.P(50))} | {F(x.P(90))} | {F(x.P(99))} | {F(x.P(99.9))} | "
                    + $"{(isFloor ? "—" : F(x.P(50) - floor.P(50)))} | {(isFloor ? "—" : F(x.P(99) - floor.P(99)))} | "
                    + $"{(x.RequestsPerSecond is { } rps ? F(rps) : "")} | {x.Micros.Length} |");
            }
        }
        text.AppendLine();
        text.AppendLine("Notes:");
        text.AppendLine("- The load generator is this bench (one .NET process, HttpClient), on the same 2 cores as the system and the fake upstream: "
            + "the c=32 req/s of every system is what is left beside them. Direct's req/s is the ceiling the generator and the fake reach together.");
        if (systems.FirstOrDefault(s => s.Kind == SystemKind.Nginx) is { } nginx
            && Find(m, Scenarios.Load(Bodies.Small, o.Concurrency), nginx)?.RequestsPerSecond is { } nginxRate
            && Find(m, Scenarios.Load(Bodies.Small, o.Concurrency), systems[0])?.RequestsPerSecond is { } directRate
            && nginxRate >= 0.8 * directRate)
        {
            text.AppendLine($"- nginx reached {nginxRate / directRate:0.00} × direct's rate at c={o.Concurrency}: the generator and the fake upstream (sharing the cores with it) "
                + "bound it, not nginx itself, so its req/s is a lower bound and the ½-nginx target is easier than it reads.");
        }
        if (Find(m, Scenarios.Load(Bodies.Large, o.Concurrency), systems[0])?.RequestsPerSecond is { } largeDirect)
        {
            text.AppendLine($"- At {Bodies.Large.Name} the fake upstream itself is slow (it reads every body for its prompt-cache simulation and token counts): "
                + $"direct's {F(largeDirect)} req/s is the ceiling every system there sits under, so those req/s compare the systems' overhead on top of a busy neighbour.");
        }
        text.AppendLine("- Portkey waits 25 ms before passing on the first chunk of a stream (a fixed `setTimeout` in its stream handler), which its time to first byte shows.");
        text.AppendLine("- Everything on = virtual key (auth by hash), rate buckets and a daily budget (lease admission), session limits (checked against the session grain's counts, asked about once a second per session), "
            + "a routing rule (`claude-*` → anthropic), cache-breakpoint injection, settlement to the key's and the session's grains, and one audit row per request to Postgres; "
            + "silo and fronts are separate processes (Orleans over loopback).");
        if (run.Audit is { } auditTable)
        {
            text.AppendLine();
            text.AppendLine("### Audit writer (`audit` subcommand)");
            text.AppendLine();
            text.AppendLine(auditTable.Table);
        }
        return text.ToString();
    }

    private static IEnumerable<string> Targets(RunResults run)
    {
        var m = run.Measurements;
        var o = run.Options;
        // By kind (a stable sort): the streaming-only Bedrock row lands beside the pass-through gateway it mirrors.
        var systems = m.Select(x => x.System).Distinct().OrderBy(s => s.Kind).ToList();
        Target? Of(SystemKind kind) => systems.FirstOrDefault(s => s.Kind == kind);
        var direct = Of(SystemKind.Direct);
        var nginx = Of(SystemKind.Nginx);
        var portkey = Of(SystemKind.Portkey);
        var gateway = Of(SystemKind.EverythingOn);

        double? Added(string scenario, Target? system, double p) =>
            system is null || direct is null || Find(m, scenario, system) is not { } x || Find(m, scenario, direct) is not { } f ? null : x.P(p) - f.P(p);
        double? Rate(Target? system) => system is null ? null : Find(m, Scenarios.Load(Bodies.Small, o.Concurrency), system)?.RequestsPerSecond;

        foreach (var body in new[] { Bodies.Small, Bodies.Large })
        {
            var scenario = Scenarios.Latency(body);
            var mine = Added(scenario, gateway, 50);
            var theirs = Added(scenario, nginx, 50);
            yield return Row($"added p50 ≤ 2 × nginx's added p50 (c=1, {body.Name}, non-streaming)",
                mine is null || theirs is null ? null : $"{F(mine.Value)} µs vs 2 × {F(theirs.Value)} = {F(2 * theirs.Value)} µs ({Ratio(mine.Value, theirs.Value)} × nginx)",
                mine <= 2 * theirs);
        }
        {
            var scenario = Scenarios.BackToBack(Bodies.Small);
            var mine = Added(scenario, gateway, 50);
            var theirs = Added(scenario, nginx, 50);
            yield return Row("added p50 ≤ 2 × nginx's added p50 (c=1, small, non-streaming, each system's requests back to back)",
                mine is null || theirs is null ? null : $"{F(mine.Value)} µs vs 2 × {F(theirs.Value)} = {F(2 * theirs.Value)} µs ({Ratio(mine.Value, theirs.Value)} × nginx)",
                mine <= 2 * theirs);
        }
        foreach (var body in new[] { Bodies.SmallStream, Bodies.LargeStream })
        {
            var scenario = Scenarios.Latency(body);
            var mine = Added(scenario, gateway, 50);
            var theirs = Added(scenario, nginx, 50);
            yield return Row($"added time to first SSE byte p50 ≤ 2 × nginx's (c=1, {body.Name} streamed)",
                mine is null || theirs is null ? null : $"{F(mine.Value)} µs vs 2 × {F(theirs.Value)} = {F(2 * theirs.Value)} µs ({Ratio(mine.Value, theirs.Value)} × nginx)",
                mine <= 2 * theirs);
        }
        foreach (var body in new[] { Bodies.Small, Bodies.Large })
        {
            var added = Added(Scenarios.Latency(body), gateway, 99);
            yield return Row($"added p99 < 1 ms at c=1 ({body.Name}, non-streaming; added p99 = p99 through the gateway − p99 direct)",
                added is null ? null : $"{F(added.Value)} µs (p99 through the gateway {F(Find(m, Scenarios.Latency(body), gateway!)!.P(99))} µs; {Ratio(added.Value, 1000)} × the 1 ms target)",
                added < 1000);
        }
        var rate = Rate(gateway);
        var nginxRate = Rate(nginx);
        var portkeyRate = Rate(portkey);
        yield return Row($"req/s ≥ ½ nginx's (c={o.Concurrency}, small)",
            rate is null || nginxRate is null ? null : $"{F(rate.Value)} vs ½ × {F(nginxRate.Value)} = {F(nginxRate.Value / 2)} ({rate / nginxRate:0.00} × nginx)",
            rate >= nginxRate / 2);
        yield return Row($"req/s ≥ 10 × Portkey's (c={o.Concurrency}, small)",
            rate is null || portkeyRate is null ? null : $"{F(rate.Value)} vs 10 × {F(portkeyRate.Value)} = {F(portkeyRate.Value * 10)} ({rate / portkeyRate:0.0} × Portkey)",
            rate >= portkeyRate * 10);
        if (run.OpenStreams.FirstOrDefault(s => s.System.Kind == SystemKind.EverythingOn) is { } open)
        {
            var p99 = Stats.Percentile(open.Delays, 99);
            var peer = run.OpenStreams.FirstOrDefault(s => s.System.Kind == SystemKind.Nginx);
            var all = open.Peak == open.Wanted && open.Failed == 0;
            yield return Row($"{o.OpenStreams:N0} open streams through one front, per-event delay p99 < 5 ms",
                $"{open.Peak:N0} of {open.Wanted:N0} open at once, p99 {Ms(p99)} ms"
                + (peer is null ? "" : $" (nginx: {peer.Peak:N0} at once, p99 {Ms(Stats.Percentile(peer.Delays, 99))} ms; {Ratio(p99, Stats.Percentile(peer.Delays, 99))} × nginx)")
                + $", {open.BytesPerStream / 1024:0} KiB per stream",
                all && p99 < 5000);
        }
        foreach (var body in new[] { Bodies.SmallStream, Bodies.LargeStream })
        {
            var added = Added(Scenarios.Events(body), gateway, 99);
            yield return Row($"per-event added delay p99 < 1 ms ({body.Name} streamed, events {StreamingBench.EventIntervalMs} ms apart)",
                added is null ? null : $"{F(added.Value)} µs (p99 through the gateway {F(Find(m, Scenarios.Events(body), gateway!)!.P(99))} µs, direct {F(Find(m, Scenarios.Events(body), direct!)!.P(99))} µs)",
                added < 1000);
        }
    }

    private static string Row(string target, string? measured, bool? pass) =>
        $"| {target} | {measured ?? "not measured"} | {(measured is null ? "n/a" : pass == true ? "**PASS**" : "**MISS**")} |";

    public static Measurement? Find(List<Measurement> m, string scenario, Target system) =>
        m.FirstOrDefault(x => x.Scenario == scenario && ReferenceEquals(x.System, system));

    private static string Ratio(double mine, double theirs) =>
        theirs > 0 ? (mine / theirs).ToString("0.00", CultureInfo.InvariantCulture) : "n/a";

    private static string Ms(double micros) => double.IsNaN(micros) ? "n/a" : (micros / 1000).ToString("0.00", CultureInfo.InvariantCulture);

    private static string MiB(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture);

    private static string F(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0", CultureInfo.InvariantCulture);
}
