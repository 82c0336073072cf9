using System.Diagnostics.Metrics;
using Prometheus;

namespace Gateway.Grains.Metrics;

/// <summary>
/// What a gateway process exports at <c>/metrics</c> besides its own <c>gateway_*</c> metrics: the process
/// and .NET runtime metrics prometheus-net registers by default, and, through prometheus-net's MeterAdapter,
/// only the System.Diagnostics.Metrics meters in <see cref="ExportedMeters"/>, whose tags are bounded:
/// <list type="bullet">
/// <item><c>Microsoft.Orleans</c> (<c>microsoft_orleans_orleans_*</c>): activations and grains by grain type,
/// grain-call latency, directory, messaging, gateway clients, storage. Less the instruments tagged with a
/// remote silo's address (pings, per-message size histograms: <see cref="ExcludedInstruments"/>), whose label
/// values change with every silo restart and which would be recorded on every message.</item>
/// <item><c>Microsoft.AspNetCore.Hosting</c>, <c>Microsoft.AspNetCore.Server.Kestrel</c>: the HTTP server,
/// tagged by route template (never the raw path), method and status.</item>
/// </list>
/// Every other meter (System.Net.Http's per-host client metrics, the runtime's duplicates of the default
/// metrics, anything a library adds later) stays out, so a dependency cannot raise cardinality unseen.
/// <para>
/// The adapters listen from <see cref="Configure"/> on (not from the first scrape, prometheus-net's default),
/// so up-down counters (active requests, connected clients, grains by type) see every change from the start.
/// Up-down counters go through <see cref="UpDownCounterBridge"/> (series never expire) rather than the
/// MeterAdapter, which drops a series unchanged for its expiry (a day at most): the next change would start
/// it again from 0, and the gauge would stay wrong (negative) from then on.
/// </para>
/// </summary>
public static class MetricsExport
{
    /// <summary>Meters exported through prometheus-net's MeterAdapter.</summary>
    public static IReadOnlyList<string> ExportedMeters { get; } =
        ["Microsoft.Orleans", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"];

    /// <summary>Instruments of those meters left out: tagged by remote silo address, or recorded per message.</summary>
    public static IReadOnlyList<string> ExcludedInstruments { get; } =
    [
        "orleans-messaging-pings-sent", "orleans-messaging-pings-received", "orleans-messaging-pings-reply-received",
        "orleans-messaging-pings-reply-missed", "orleans-messaging-sent-messages-size", "orleans-messaging-received-messages-size",
    ];

    /// <summary>Buckets for meter histograms in seconds (<c>s</c>): 1 ms to 10 min.</summary>
    public static IReadOnlyList<double> SecondsBuckets { get; } =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600];

    /// <summary>Buckets for meter histograms in milliseconds (<c>ms</c>, as Orleans reports latencies): 0.1 ms to 10 min.</summary>
    public static IReadOnlyList<double> MillisecondsBuckets { get; } =
        [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 600000];

    /// <summary>Buckets for any other meter histogram (sizes, counts): powers of four up to 16 Mi.</summary>
    public static IReadOnlyList<double> OtherBuckets { get; } =
        [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216];

    private static readonly Lock s_gate = new();
    private static bool s_configured;
    // The listeners live as long as the process; referenced here so that is plain.
    private static IDisposable[] s_listeners = [];

    /// <summary>
    /// Sets up prometheus-net's default registry for a gateway process and starts the meter adapters.
    /// Idempotent (once per process); call it while mapping <c>/metrics</c>, before the host starts.
    /// </summary>
    public static void Configure()
    {
        lock (s_gate)
        {
            if (s_configured)
            {
                return;
            }
            s_configured = true;
            // prometheus-net's own adapter would start at the first scrape with every meter: ours instead.
            Prometheus.Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressMeters = true });
            // The event-counter adapter subscribes at Informational by default, which turns on every per-request
            // event of Kestrel, Hosting and HttpClient (RequestStart/Stop, ConnectionStart/Stop) for an in-process
            // listener: about a tenth of a front's allocations, and CPU, for events nobody reads (docs/performance.md).
            // The counters themselves are written at LogAlways, so they still arrive at Critical.
            Prometheus.Metrics.ConfigureEventCounterAdapter(options => options.EventSourceSettingsProvider =
                _ => new EventCounterAdapterEventSourceSettings { MinimumLevel = System.Diagnostics.Tracing.EventLevel.Critical });
            s_listeners =
            [
                MeterAdapter.StartListening(new MeterAdapterOptions
                {
                    InstrumentFilterPredicate = instrument => IsExported(instrument) && !UpDownCounterBridge.IsUpDownCounter(instrument),
                    ResolveHistogramBuckets = Buckets,
                }),
                new UpDownCounterBridge(IsExported),
            ];
        }
        GrainMetrics.EnsureRegistered();
        RegisterCostCounters();
    }

    /// <summary>
    /// Exact running totals read at each scrape: bytes allocated and thread-pool work items completed. The
    /// event-counter figures (<c>system_runtime_alloc_total</c>) move only every few seconds; these let the
    /// bench divide by the requests between two scrapes (bytes and thread-pool hops per request).
    /// </summary>
    private static void RegisterCostCounters()
    {
        var allocated = Prometheus.Metrics.CreateCounter("dotnet_gc_allocated_bytes_total",
            "Bytes allocated on the managed heap since the process started (GC.GetTotalAllocatedBytes), read at each scrape.");
        var workItems = Prometheus.Metrics.CreateCounter("dotnet_threadpool_completed_work_items_total",
            "Thread-pool work items completed since the process started (ThreadPool.CompletedWorkItemCount), read at each scrape.");
        Prometheus.Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            allocated.IncTo(GC.GetTotalAllocatedBytes());
            workItems.IncTo(ThreadPool.CompletedWorkItemCount);
        });
    }

    /// <summary>Whether an instrument goes to <c>/metrics</c>.</summary>
    public static bool IsExported(Instrument instrument) =>
        ExportedMeters.Contains(instrument.Meter.Name, StringComparer.Ordinal)
        && !ExcludedInstruments.Contains(instrument.Name, StringComparer.Ordinal);

    private static double[] Buckets(Instrument instrument) => instrument.Unit switch
    {
        "s" => [.. SecondsBuckets],
        "ms" => [.. MillisecondsBuckets],
        _ => [.. OtherBuckets],
    };
}
