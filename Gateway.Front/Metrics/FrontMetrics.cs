using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Gateway.Grains.Metrics;
using Prometheus;

namespace Gateway.Front.Metrics;

/// <summary>
/// The front's Prometheus metrics (prometheus-net default registry, served at <c>/metrics</c> by
/// <see cref="MetricsEndpoints.MapGatewayMetrics"/>). Every method is safe to call from any thread on the
/// request path: child series are cached per label set, so a repeated label set costs one dictionary lookup.
/// <para>
/// Cardinality: every label value passes through a <see cref="BoundedLabel"/> (new values past a per-label
/// limit become <c>other</c>, empty ones <c>unknown</c> or <c>none</c>); never pass session ids, request ids
/// or secrets. An <c>upstreamKey</c> must be the key's name or index; a value that looks like a secret
/// (<c>sk-…</c>) is published as a short SHA-256 fingerprint instead.
/// </para>
/// </summary>
public static class FrontMetrics
{
    public const string RequestsTotal = "gateway_requests_total";
    public const string RequestsInFlight = "gateway_requests_in_flight";
    public const string RequestDurationSeconds = "gateway_request_duration_seconds";
    public const string TimeToFirstByteSeconds = "gateway_time_to_first_byte_seconds";
    public const string TokensTotal = "gateway_tokens_total";
    public const string CostUsdTotal = "gateway_cost_usd_total";
    public const string CacheSavingsUsdTotal = "gateway_cache_savings_usd_total";
    public const string RejectionsTotal = "gateway_rejections_total";
    public const string UpstreamErrorsTotal = "gateway_upstream_errors_total";
    public const string UpstreamRetriesTotal = "gateway_upstream_retries_total";
    public const string AuditBufferDepthName = "gateway_audit_buffer_depth";
    public const string AuditRowsWrittenTotal = "gateway_audit_rows_written_total";
    public const string AuditRowsDroppedTotal = "gateway_audit_rows_dropped_total";
    public const string AuditWriteFailuresTotal = "gateway_audit_write_failures_total";
    public const string SettlementFailuresTotal = "gateway_settlement_failures_total";
    public const string SettlementFailedChargesTotal = "gateway_settlement_failed_charges_total";
    public const string SettlementRejectedChargesTotal = "gateway_settlement_rejected_charges_total";
    public const string CapabilityDropsTotal = "gateway_capability_drops_total";

    /// <summary>
    /// Every metric family the front defines, as exposed (histograms also expose <c>_bucket</c>, <c>_sum</c>
    /// and <c>_count</c> series under their name). Grain metrics are in <see cref="GrainMetrics.Names"/>.
    /// </summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        RequestsTotal, RequestsInFlight, RequestDurationSeconds, TimeToFirstByteSeconds, TokensTotal, CostUsdTotal,
        CacheSavingsUsdTotal, RejectionsTotal, UpstreamErrorsTotal, UpstreamRetriesTotal, AuditBufferDepthName,
        AuditRowsWrittenTotal, AuditRowsDroppedTotal, AuditWriteFailuresTotal, SettlementFailuresTotal,
        SettlementFailedChargesTotal, SettlementRejectedChargesTotal, CapabilityDropsTotal,
    ];

    /// <summary>Request durations of an LLM proxy: a 1 ms rejection up to a 10-minute stream.</summary>
    public static IReadOnlyList<double> DurationBuckets { get; } =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];

    /// <summary>Time to the first response byte: tens of milliseconds for small prompts, minutes for huge ones.</summary>
    public static IReadOnlyList<double> TimeToFirstByteBuckets { get; } =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60, 120, 300];

    private static readonly Counter s_requests = Prometheus.Metrics.CreateCounter(RequestsTotal,
        "API requests that ended, by endpoint, model, team, HTTP status and whether they streamed.",
        "endpoint", "model", "team", "status", "stream");

    private static readonly Gauge s_inFlight = Prometheus.Metrics.CreateGauge(RequestsInFlight,
        "API requests being forwarded upstream now, streams until their last byte is sent or the client goes away, by endpoint.",
        "endpoint");

    private static readonly Histogram s_duration = Prometheus.Metrics.CreateHistogram(RequestDurationSeconds,
        "Time from the request's arrival to the last byte of its response, in seconds.",
        new HistogramConfiguration { LabelNames = ["endpoint", "model"], Buckets = [.. DurationBuckets] });

    private static readonly Histogram s_timeToFirstByte = Prometheus.Metrics.CreateHistogram(TimeToFirstByteSeconds,
        "Time from the request's arrival to the first response byte sent to the client, in seconds.",
        new HistogramConfiguration { LabelNames = ["model"], Buckets = [.. TimeToFirstByteBuckets] });

    private static readonly Counter s_tokens = Prometheus.Metrics.CreateCounter(TokensTotal,
        "Tokens used by ended requests, by kind: input, output, cache_write, cache_read.", "model", "team", "kind");

    private static readonly Counter s_cost = Prometheus.Metrics.CreateCounter(CostUsdTotal,
        "Spend of ended requests in USD, priced from the price table.", "model", "team");

    private static readonly Counter s_cacheSavings = Prometheus.Metrics.CreateCounter(CacheSavingsUsdTotal,
        "USD saved by prompt-cache reads compared with the same tokens as plain input.", "model", "team");

    private static readonly Counter s_rejections = Prometheus.Metrics.CreateCounter(RejectionsTotal,
        "Requests the gateway refused itself (not the upstream), by reason.", "reason");

    private static readonly Counter s_upstreamErrors = Prometheus.Metrics.CreateCounter(UpstreamErrorsTotal,
        "Failed upstream attempts, by provider, upstream key name and kind.", "provider", "upstream_key", "kind");

    private static readonly Counter s_upstreamRetries = Prometheus.Metrics.CreateCounter(UpstreamRetriesTotal,
        "Upstream attempts retried before the first byte, by provider and the kind of failure retried.", "provider", "kind");

    private static readonly Gauge s_auditBufferDepth = Prometheus.Metrics.CreateGauge(AuditBufferDepthName,
        "Audit rows waiting in the front's buffer to be written.");

    private static readonly Counter s_auditRowsWritten = Prometheus.Metrics.CreateCounter(AuditRowsWrittenTotal,
        "Audit rows written to the store.");

    private static readonly Counter s_auditRowsDropped = Prometheus.Metrics.CreateCounter(AuditRowsDroppedTotal,
        "Audit rows dropped (buffer full or writes failing too long).");

    private static readonly Counter s_auditWriteFailures = Prometheus.Metrics.CreateCounter(AuditWriteFailuresTotal,
        "Failed audit batch writes.");

    private static readonly Counter s_settlementFailures = Prometheus.Metrics.CreateCounter(SettlementFailuresTotal,
        "Settlement batches the front gave up on after all attempts.");

    private static readonly Counter s_settlementRejectedCharges = Prometheus.Metrics.CreateCounter(SettlementRejectedChargesTotal,
        "Usage charges settlement refused for good (bad data), isolated from their batch and dropped.");

    private static readonly Counter s_settlementFailedCharges = Prometheus.Metrics.CreateCounter(SettlementFailedChargesTotal,
        "Usage charges in the settlement batches the front gave up on.");

    private static readonly Counter s_capabilityDrops = Prometheus.Metrics.CreateCounter(CapabilityDropsTotal,
        "Betas, body fields and cache_control members dropped before a request went to a provider that refuses them, by provider, what and name.",
        "provider", "what", "name");

    private static readonly BoundedLabel s_endpoints = new(32);
    private static readonly BoundedLabel s_models = new(200);
    private static readonly BoundedLabel s_teams = new(2000, empty: "none");
    private static readonly BoundedLabel s_reasons = new(64);
    private static readonly BoundedLabel s_providers = new(16);
    private static readonly BoundedLabel s_upstreamKeys = new(256);
    private static readonly BoundedLabel s_kinds = new(64);

    private static readonly ConcurrentDictionary<RequestKey, RequestSeries> s_requestSeries = new();
    private static readonly ConcurrentDictionary<string, Gauge.Child> s_inFlightSeries = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, Counter.Child> s_rejectionSeries = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<(string, string, string), Counter.Child> s_upstreamErrorSeries = new();
    private static readonly ConcurrentDictionary<(string, string), Counter.Child> s_upstreamRetrySeries = new();
    private static readonly ConcurrentDictionary<(string, string, string), Counter.Child> s_capabilityDropSeries = new();
    private static readonly BoundedLabel s_dropNames = new(128);

    /// <summary>Touches the class so every unlabelled metric is registered (and exported as 0) from the start.</summary>
    public static void EnsureRegistered() => RuntimeHelpers.RunClassConstructor(typeof(FrontMetrics).TypeHandle);

    /// <summary>Every API request when it ends (answered, rejected, failed or cut off).</summary>
    public static void RequestCompleted(string endpoint, string model, string team, int status, bool stream,
        double latencySeconds, double? timeToFirstByteSeconds, long inputTokens, long outputTokens,
        long cacheWriteTokens, long cacheReadTokens, decimal costUsd, decimal cacheSavingsUsd)
    {
        var series = SeriesOf(new RequestKey(endpoint, model, team, status, stream));
        series.Requests.Inc();
        if (latencySeconds >= 0 && double.IsFinite(latencySeconds))
        {
            series.Duration.Observe(latencySeconds);
        }
        if (timeToFirstByteSeconds is { } ttfb && ttfb >= 0 && double.IsFinite(ttfb))
        {
            series.TimeToFirstByte.Observe(ttfb);
        }
        Add(series.InputTokens, inputTokens);
        Add(series.OutputTokens, outputTokens);
        Add(series.CacheWriteTokens, cacheWriteTokens);
        Add(series.CacheReadTokens, cacheReadTokens);
        if (costUsd > 0)
        {
            series.Cost.Inc((double)costUsd);
        }
        if (cacheSavingsUsd > 0)
        {
            series.CacheSavings.Inc((double)cacheSavingsUsd);
        }
    }

    /// <summary>
    /// Counts a request in <c>gateway_requests_in_flight{endpoint}</c> until the returned handle is disposed
    /// (dispose it when the response has ended, stream included). Allocates nothing once the endpoint's
    /// series exists; endpoints are the callers' constants, bounded like every other label.
    /// </summary>
    public static InFlightRequest InFlight(string endpoint)
    {
        if (!s_inFlightSeries.TryGetValue(endpoint, out var series))
        {
            series = s_inFlightSeries.GetOrAdd(s_endpoints.Of(endpoint), static e => s_inFlight.WithLabels(e));
        }
        return new InFlightRequest(series);
    }

    /// <summary>
    /// A request the gateway refused itself: authentication, permission, rate_limit_requests,
    /// rate_limit_input_tokens, rate_limit_output_tokens, budget_daily, budget_monthly, session,
    /// invalid_request, too_large, unavailable.
    /// </summary>
    public static void Rejected(string reason) =>
        s_rejectionSeries.GetOrAdd(s_reasons.Of(reason), r => s_rejections.WithLabels(r)).Inc();

    /// <summary>
    /// A failed upstream attempt. <paramref name="upstreamKey"/> names the upstream key (its name or index,
    /// never the secret); <paramref name="kind"/>: connect, status_5xx, status_529, status_429, timeout,
    /// circuit_open, mid_stream, credential (a cloud credential that could not be loaded or refreshed).
    /// </summary>
    public static void UpstreamError(string provider, string upstreamKey, string kind)
    {
        if (!s_upstreamErrorSeries.TryGetValue((provider, upstreamKey, kind), out var child))
        {
            var key = (s_providers.Of(provider), s_upstreamKeys.Of(UpstreamKeyLabel(upstreamKey)), s_kinds.Of(kind));
            child = s_upstreamErrorSeries.GetOrAdd(key, k => s_upstreamErrors.WithLabels(k.Item1, k.Item2, k.Item3));
        }
        child.Inc();
    }

    /// <summary>An upstream attempt retried (before the first byte reached the client), by the failure's kind.</summary>
    public static void UpstreamRetry(string provider, string kind)
    {
        if (!s_upstreamRetrySeries.TryGetValue((provider, kind), out var child))
        {
            var key = (s_providers.Of(provider), s_kinds.Of(kind));
            child = s_upstreamRetrySeries.GetOrAdd(key, k => s_upstreamRetries.WithLabels(k.Item1, k.Item2));
        }
        child.Inc();
    }

    /// <summary>
    /// Something a provider refuses was dropped from a request before it was sent (Clouds/ProviderCapabilities):
    /// <paramref name="what"/> is <c>beta</c>, <c>field</c> or <c>cache_control</c>; <paramref name="name"/> the beta,
    /// field or member (a beta name is client text: plain short names only, bounded like every label).
    /// </summary>
    public static void CapabilityDropped(string provider, string what, string name)
    {
        if (!s_capabilityDropSeries.TryGetValue((provider, what, name), out var child))
        {
            var key = (s_providers.Of(provider), s_kinds.Of(what), s_dropNames.Of(name));
            child = s_capabilityDropSeries.GetOrAdd(key, k => s_capabilityDrops.WithLabels(k.Item1, k.Item2, k.Item3));
        }
        child.Inc();
    }

    public static void AuditBufferDepth(int depth) => s_auditBufferDepth.Set(depth);

    public static void AuditRowsWritten(int rows) => Add(s_auditRowsWritten, rows);

    public static void AuditRowsDropped(int rows) => Add(s_auditRowsDropped, rows);

    public static void AuditWriteFailed() => s_auditWriteFailures.Inc();

    /// <summary>A settlement batch of <paramref name="charges"/> charges given up on after all attempts.</summary>
    public static void SettlementFailed(int charges)
    {
        s_settlementFailures.Inc();
        Add(s_settlementFailedCharges, charges);
    }

    /// <summary>One charge refused for good by settlement and isolated from its batch.</summary>
    public static void SettlementRejected() => s_settlementRejectedCharges.Inc();

    private static void Add(ICounter counter, long amount)
    {
        if (amount > 0)
        {
            counter.Inc(amount);
        }
    }

    private static RequestSeries SeriesOf(RequestKey key)
    {
        if (s_requestSeries.TryGetValue(key, out var series))
        {
            return series;
        }
        var published = new RequestKey(s_endpoints.Of(key.Endpoint), s_models.Of(key.Model), s_teams.Of(key.Team),
            key.Status is >= 0 and <= 999 ? key.Status : 0, key.Stream);
        // Keyed by the published label set only: a raw key that is its own label set (the usual case) hits on
        // the first lookup next time; others (empty, too long, past a limit) take the slow path each time, so
        // an unbounded stream of new values cannot grow the cache.
        return s_requestSeries.GetOrAdd(published, k => new RequestSeries(k));
    }

    /// <summary>The label for an upstream key: its name as given, or a fingerprint if it looks like a secret.</summary>
    private static string UpstreamKeyLabel(string? upstreamKey)
    {
        if (upstreamKey is null || !upstreamKey.StartsWith("sk-", StringComparison.Ordinal))
        {
            return upstreamKey ?? "";
        }
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(upstreamKey));
        return "sha256:" + Convert.ToHexStringLower(hash.AsSpan(0, 4));
    }

    private readonly record struct RequestKey(string Endpoint, string Model, string Team, int Status, bool Stream);

    /// <summary>Every child series one request touches, resolved once per label set.</summary>
    private sealed class RequestSeries(RequestKey key)
    {
        private static readonly string[] StatusLabels = Enumerable.Range(0, 1000).Select(s => s.ToString(CultureInfo.InvariantCulture)).ToArray();

        public Counter.Child Requests { get; } = s_requests.WithLabels(key.Endpoint, key.Model, key.Team, StatusLabels[key.Status], key.Stream ? "true" : "false");
        public Histogram.Child Duration { get; } = s_duration.WithLabels(key.Endpoint, key.Model);
        public Histogram.Child TimeToFirstByte { get; } = s_timeToFirstByte.WithLabels(key.Model);
        public Counter.Child InputTokens { get; } = s_tokens.WithLabels(key.Model, key.Team, "input");
        public Counter.Child OutputTokens { get; } = s_tokens.WithLabels(key.Model, key.Team, "output");
        public Counter.Child CacheWriteTokens { get; } = s_tokens.WithLabels(key.Model, key.Team, "cache_write");
        public Counter.Child CacheReadTokens { get; } = s_tokens.WithLabels(key.Model, key.Team, "cache_read");
        public Counter.Child Cost { get; } = s_cost.WithLabels(key.Model, key.Team);
        public Counter.Child CacheSavings { get; } = s_cacheSavings.WithLabels(key.Model, key.Team);
    }
}
