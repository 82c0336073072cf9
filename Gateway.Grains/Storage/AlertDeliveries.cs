namespace Gateway.Grains.Storage;

/// <summary>
/// An enabled rule with what it is measured against now: the spend of its target in the current period
/// (a team's: the sum of its keys'), the budget in force (the rule's, else the key's own), names for the
/// message, and the thresholds already recorded for this period.
/// </summary>
public sealed record RuleStanding(
    AlertRule Rule,
    DateOnly PeriodStart,
    string? TargetName,
    string? TeamId,
    string? TeamName,
    decimal SpendUsd,
    decimal? BudgetUsd,
    IReadOnlyList<int> RecordedThresholds);

/// <summary>One threshold crossed in one period, with the webhook body built when it was crossed.</summary>
public sealed record AlertCrossing(
    string RuleId,
    DateOnly PeriodStart,
    int Threshold,
    decimal SpendUsd,
    decimal BudgetUsd,
    DateTimeOffset CrossedAt,
    string Payload);

/// <summary>A crossing claimed for sending: where to (the rule's URL now) and what.</summary>
public sealed record PendingDelivery(
    long DeliveryId,
    string RuleId,
    int Threshold,
    int Attempts,
    DateTimeOffset CrossedAt,
    string WebhookUrl,
    string Payload);

/// <summary>
/// What one attempt came to: delivered (the webhook answered 2xx), or not, with the HTTP status or error,
/// and either the time of the next attempt or <see cref="Abandoned"/>.
/// </summary>
public sealed record DeliveryOutcome(
    long DeliveryId,
    DateTimeOffset At,
    bool Delivered,
    int? Status,
    string? Error,
    DateTimeOffset? NextAttemptAt,
    bool Abandoned = false);

/// <summary>A recorded crossing and its delivery state, as the admin API and tests read it.</summary>
public sealed record AlertDeliveryRecord(
    long DeliveryId,
    string RuleId,
    DateOnly PeriodStart,
    int Threshold,
    decimal SpendUsd,
    decimal BudgetUsd,
    DateTimeOffset CrossedAt,
    int Attempts,
    DateTimeOffset? LastAttemptAt,
    int? LastStatus,
    string? LastError,
    DateTimeOffset? DeliveredAt,
    DateTimeOffset? AbandonedAt);

/// <summary>
/// Deliveries claimed by one sender: the rows stay locked (<c>FOR UPDATE SKIP LOCKED</c>) until
/// <see cref="CompleteAsync"/> commits their outcomes or the claim is disposed (rolled back, so they are due
/// again). No other sender can claim them meanwhile.
/// </summary>
public interface IDeliveryClaim : IAsyncDisposable
{
    IReadOnlyList<PendingDelivery> Deliveries { get; }

    Task CompleteAsync(IReadOnlyList<DeliveryOutcome> outcomes, CancellationToken cancellationToken = default);
}
