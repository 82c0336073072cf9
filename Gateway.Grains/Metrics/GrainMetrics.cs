using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Gateway.Grains.Abstractions;
using Prometheus;

namespace Gateway.Grains.Metrics;

/// <summary>
/// Metrics of the grains (prometheus-net default registry), exported at <c>/metrics</c> by whichever process
/// hosts them: a silo, or a front in embedded mode. Counts are per process; sum over instances in queries.
/// Label values are bounded (<see cref="BoundedLabel"/>); never pass key ids, session ids or request ids.
/// </summary>
public static class GrainMetrics
{
    public const string LeasesGrantedTotal = "gateway_grain_leases_granted_total";
    public const string LeaseRequestsGrantedTotal = "gateway_grain_lease_requests_granted_total";
    public const string LeasesDeniedTotal = "gateway_grain_leases_denied_total";
    public const string SettlementsAppliedTotal = "gateway_grain_settlements_applied_total";
    public const string SettledChargesTotal = "gateway_grain_settled_charges_total";
    public const string SettledCostUsdTotal = "gateway_grain_settled_cost_usd_total";
    public const string SettlementDuplicatesTotal = "gateway_grain_settlement_duplicates_total";
    public const string ActiveSessions = "gateway_grain_active_sessions";
    public const string StoreWriteFailuresTotal = "gateway_grain_store_write_failures_total";

    /// <summary>Every metric family the grains define, as exposed.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        LeasesGrantedTotal, LeaseRequestsGrantedTotal, LeasesDeniedTotal, SettlementsAppliedTotal, SettledChargesTotal,
        SettledCostUsdTotal, SettlementDuplicatesTotal, ActiveSessions, StoreWriteFailuresTotal,
    ];

    private static readonly Counter s_leasesGranted = Prometheus.Metrics.CreateCounter(LeasesGrantedTotal,
        "Leases granted by key grains (a lease that grants nothing is a denial).");

    private static readonly Counter s_leaseRequestsGranted = Prometheus.Metrics.CreateCounter(LeaseRequestsGrantedTotal,
        "Requests granted in leases: slices of the request buckets handed to fronts.");

    private static readonly Counter s_leasesDenied = Prometheus.Metrics.CreateCounter(LeasesDeniedTotal,
        "Lease requests denied by key grains, by reason.", "reason");

    private static readonly Counter s_settlementsApplied = Prometheus.Metrics.CreateCounter(SettlementsAppliedTotal,
        "Settlement batches applied by key or session grains (duplicates not counted).");

    private static readonly Counter s_settledCharges = Prometheus.Metrics.CreateCounter(SettledChargesTotal,
        "Usage charges in applied settlement batches.");

    private static readonly Counter s_settledCost = Prometheus.Metrics.CreateCounter(SettledCostUsdTotal,
        "USD in applied settlement batches.");

    private static readonly Counter s_settlementDuplicates = Prometheus.Metrics.CreateCounter(SettlementDuplicatesTotal,
        "Settlement batches ignored because their batch id was already applied (retries).");

    private static readonly Gauge s_activeSessions = Prometheus.Metrics.CreateGauge(ActiveSessions,
        "Session grains active in this process.");

    private static readonly Counter s_storeWriteFailures = Prometheus.Metrics.CreateCounter(StoreWriteFailuresTotal,
        "Failed writes from grains to a store, by store (e.g. spend, keys, bucket_state).", "store");

    private static readonly BoundedLabel s_reasons = new(32);
    private static readonly BoundedLabel s_stores = new(16);
    private static readonly ConcurrentDictionary<string, Counter.Child> s_deniedSeries = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, Counter.Child> s_storeSeries = new(StringComparer.Ordinal);
    private static readonly Counter.Child[] s_deniedByReason =
        Enum.GetValues<DenialReason>().Select(r => s_leasesDenied.WithLabels(ReasonLabel(r))).ToArray();

    /// <summary>Touches the class so every metric is registered (and exported) from the start.</summary>
    public static void EnsureRegistered() => RuntimeHelpers.RunClassConstructor(typeof(GrainMetrics).TypeHandle);

    /// <summary>A lease granted, carrying <paramref name="requests"/> requests of the key's request bucket.</summary>
    public static void LeaseGranted(long requests)
    {
        s_leasesGranted.Inc();
        if (requests > 0)
        {
            s_leaseRequestsGranted.Inc(requests);
        }
    }

    /// <summary>A lease denied; the label is the reason in snake_case (<c>daily_budget</c>, <c>requests</c>, …).</summary>
    public static void LeaseDenied(DenialReason reason)
    {
        var index = (int)reason;
        if ((uint)index < (uint)s_deniedByReason.Length)
        {
            s_deniedByReason[index].Inc();
        }
        else
        {
            LeaseDenied(reason.ToString());
        }
    }

    /// <summary>A lease denied for a reason given as a label value (snake_case, bounded set).</summary>
    public static void LeaseDenied(string reason) =>
        s_deniedSeries.GetOrAdd(s_reasons.Of(reason), r => s_leasesDenied.WithLabels(r)).Inc();

    /// <summary>A settlement batch applied: <paramref name="charges"/> charges worth <paramref name="costUsd"/>.</summary>
    public static void SettlementApplied(int charges, decimal costUsd)
    {
        s_settlementsApplied.Inc();
        if (charges > 0)
        {
            s_settledCharges.Inc(charges);
        }
        if (costUsd > 0)
        {
            s_settledCost.Inc((double)costUsd);
        }
    }

    /// <summary>A settlement batch recognised as already applied (a retry) and ignored.</summary>
    public static void SettlementDuplicate() => s_settlementDuplicates.Inc();

    /// <summary>Call from a session grain's OnActivateAsync.</summary>
    public static void SessionActivated() => s_activeSessions.Inc();

    /// <summary>Call from a session grain's OnDeactivateAsync (always paired with <see cref="SessionActivated"/>).</summary>
    public static void SessionDeactivated() => s_activeSessions.Dec();

    /// <summary>A failed write to a store: <c>spend</c>, <c>keys</c>, <c>bucket_state</c>, … (a bounded set of names).</summary>
    public static void StoreWriteFailed(string store) =>
        s_storeSeries.GetOrAdd(s_stores.Of(store), s => s_storeWriteFailures.WithLabels(s)).Inc();

    /// <summary>The label of a denial reason: <c>InputTokens</c> → <c>input_tokens</c>.</summary>
    public static string ReasonLabel(DenialReason reason)
    {
        var name = reason.ToString();
        var label = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                label.Append('_');
            }
            label.Append(char.ToLowerInvariant(name[i]));
        }
        return label.ToString();
    }
}
