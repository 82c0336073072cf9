using ScottPlot;

namespace Gateway.Bench;

/// <summary>
/// bench/results/latency.png: p50/p90/p99/p99.9 at c=1 (non-streaming) per system, grouped bars on a log
/// scale (the systems span two orders of magnitude), small request on the left, the 50 KB one on the right.
/// </summary>
internal static class LatencyPlot
{
    private static readonly (double Percentile, string Label, Color Color)[] Percentiles =
    [
        (50, "p50", new Color(0x1f, 0x77, 0xb4)),
        (90, "p90", new Color(0x2c, 0xa0, 0x2c)),
        (99, "p99", new Color(0xff, 0x7f, 0x0e)),
        (99.9, "p99.9", new Color(0xd6, 0x27, 0x28)),
    ];

    public static void Save(List<Measurement> measurements, string path, string? note = null)
    {
        var plot = new Plot();
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        var max = 1.0;
        var min = double.MaxValue;
        var bodies = new[] { Bodies.Small, Bodies.Large };
        var systems = measurements.Select(m => m.System).Distinct().ToList();
        for (var b = 0; b < bodies.Length; b++)
        {
            var scenario = Scenarios.Latency(bodies[b]);
            for (var s = 0; s < systems.Count; s++)
            {
                if (Report.Find(measurements, scenario, systems[s]) is not { } m)
                {
                    continue;
                }
                var center = b * (systems.Count + 1) + s;
                for (var p = 0; p < Percentiles.Length; p++)
                {
                    var micros = Math.Max(1, m.P(Percentiles[p].Percentile));
                    max = Math.Max(max, micros);
                    min = Math.Min(min, micros);
                    bars.Add(new Bar
                    {
                        Position = center - 0.3 + p * 0.2,
                        Value = Math.Log10(micros),
                        ValueBase = 0,
                        Size = 0.19,
                        FillColor = Percentiles[p].Color,
                        LineWidth = 0,
                    });
                }
                ticks.Add(new Tick(center, ShortName(systems[s]) + "\n" + (b == 0 ? "small" : bodies[b].Name.Replace(" Claude Code", ""))));
            }
        }
        plot.Add.Bars(bars);
        var left = new List<Tick>();
        foreach (var decade in new[] { 1, 10, 100, 1_000, 10_000, 100_000 })
        {
            foreach (var step in new[] { 1, 2, 5 })
            {
                var value = decade * step;
                if (value >= min / 2 && value <= max * 2)
                {
                    left.Add(new Tick(Math.Log10(value), value >= 1000 ? $"{value / 1000} ms" : $"{value} µs"));
                }
            }
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(left.ToArray());
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.SetLimitsY(Math.Log10(Math.Max(1, min / 2)), Math.Log10(max * 2));
        plot.Axes.SetLimitsX(-0.8, bodies.Length * (systems.Count + 1) - 1.2);
        plot.Title("Latency at concurrency 1, non-streaming (full response, loopback, log scale)" + (note is null ? "" : "\n" + note));
        plot.YLabel("latency (log scale)");
        foreach (var (_, label, color) in Percentiles)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = label, FillColor = color });
        }
        plot.Legend.Alignment = Alignment.UpperLeft;
        plot.ShowLegend();
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, 1600, 800);
    }

    private static string ShortName(Target target) => target.Kind switch
    {
        SystemKind.Direct => "direct",
        SystemKind.Nginx => "nginx",
        SystemKind.Portkey => "Portkey",
        SystemKind.BareForwarder => "bare YARP\nforwarder",
        SystemKind.PassThrough => "gateway\npass-through",
        SystemKind.EverythingOn => "gateway all on\n1 front",
        SystemKind.EverythingOnTwoFronts => "gateway all on\n2 fronts",
        _ => target.Name,
    };
}
