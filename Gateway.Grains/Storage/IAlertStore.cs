namespace Gateway.Grains.Storage;

/// <summary>
/// Budget alert rules and their crossings (Postgres only: tables <c>alert_rules</c> and <c>alert_deliveries</c>,
/// <c>Migrations/0011_budget_alerts.sql</c>). There is no in-memory twin: like the billing export, alerts are an
/// operations feature over the usage database, not part of serving a request, and a local run without Postgres
/// has no one to alert.
/// </summary>
public interface IAlertStore
{
    Task<AlertRule> CreateRuleAsync(AlertRule rule, CancellationToken cancellationToken = default);

    /// <summary>Rules, optionally only those of one scope and target, oldest first.</summary>
    Task<IReadOnlyList<AlertRule>> ListRulesAsync(string? scope, string? targetId, CancellationToken cancellationToken = default);

    Task<AlertRule?> GetRuleAsync(string ruleId, CancellationToken cancellationToken = default);

    Task<AlertRule?> UpdateRuleAsync(string ruleId, AlertRuleUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Deletes the rule and its recorded crossings; false when there was none.</summary>
    Task<bool> DeleteRuleAsync(string ruleId, CancellationToken cancellationToken = default);

    /// <summary>Every enabled rule's standing in the period containing <paramref name="day"/> (its UTC day or month).</summary>
    Task<IReadOnlyList<RuleStanding>> ReadStandingsAsync(DateOnly day, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the crossings not recorded before (unique by rule, period start and threshold, so concurrent
    /// evaluators record each once), due for delivery at once. Returns how many were new.
    /// </summary>
    Task<int> RecordCrossingsAsync(IReadOnlyList<AlertCrossing> crossings, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims up to <paramref name="limit"/> undelivered, unabandoned crossings due at <paramref name="now"/>,
    /// skipping any another sender holds.
    /// </summary>
    Task<IDeliveryClaim> ClaimDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>The rule's most recent crossings first.</summary>
    Task<IReadOnlyList<AlertDeliveryRecord>> ListDeliveriesAsync(string ruleId, int limit, CancellationToken cancellationToken = default);
}
