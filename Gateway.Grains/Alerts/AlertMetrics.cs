using Prometheus;

namespace Gateway.Grains.Alerts;

/// <summary>
/// Budget-alert metrics (prometheus-net default registry), exported at <c>/metrics</c> by the process whose silo
/// runs the loop. Per process: sum over silos. Worth alerting on: attempts with outcome <c>failed</c> rising with none
/// <c>delivered</c> (a webhook is down), and any <c>abandoned</c>.
/// </summary>
public static class AlertMetrics
{
    public const string CrossingsTotal = "gateway_alert_crossings_total";
    public const string DeliveryAttemptsTotal = "gateway_alert_delivery_attempts_total";

    public static IReadOnlyList<string> Names { get; } = [CrossingsTotal, DeliveryAttemptsTotal];

    private static readonly Counter s_crossings = Prometheus.Metrics.CreateCounter(CrossingsTotal,
        "Budget alert threshold crossings recorded by this process (each crossing is recorded by one silo only).");

    private static readonly Counter s_attempts = Prometheus.Metrics.CreateCounter(DeliveryAttemptsTotal,
        "Webhook delivery attempts of budget alerts, by outcome: delivered, failed (retried later) or abandoned.", "outcome");

    public static void Crossings(int count) => s_crossings.Inc(count);

    public static void Attempt(DeliveryOutcomeKind outcome) => s_attempts.WithLabels(outcome switch
    {
        DeliveryOutcomeKind.Delivered => "delivered",
        DeliveryOutcomeKind.Failed => "failed",
        _ => "abandoned",
    }).Inc();
}

/// <summary>How one delivery attempt ended, for <see cref="AlertMetrics"/>.</summary>
public enum DeliveryOutcomeKind
{
    Delivered,
    Failed,
    Abandoned,
}
