using Gateway.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Alerts;

/// <summary>
/// One evaluation round: reads every enabled rule's spend in its current UTC period (from <c>key_spend</c>, the
/// spend budgets are enforced against) and records each threshold newly reached, with its webhook body. The
/// store's unique (rule, period start, threshold) makes the record once however many silos evaluate; a new
/// period starts with nothing recorded, so its crossings are new.
/// </summary>
public sealed class BudgetAlertEvaluator(IAlertStore store, TimeProvider time, ILogger<BudgetAlertEvaluator> logger)
{
    /// <summary>Returns how many crossings this round recorded.</summary>
    public async Task<int> EvaluateAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var standings = await store.ReadStandingsAsync(DateOnly.FromDateTime(now.UtcDateTime), cancellationToken);
        var crossings = new List<AlertCrossing>();
        foreach (var standing in standings)
        {
            foreach (var threshold in AlertCrossings.NewlyCrossed(standing.SpendUsd, standing.BudgetUsd, standing.Rule.Thresholds, standing.RecordedThresholds))
            {
                var budget = standing.BudgetUsd!.Value;
                crossings.Add(new AlertCrossing(standing.Rule.RuleId, standing.PeriodStart, threshold, standing.SpendUsd, budget, now,
                    WebhookPayload.Build(standing, threshold, budget, now)));
                AlertLog.Crossed(logger, standing.Rule.RuleId, threshold, standing.Rule.Scope, standing.Rule.TargetId);
            }
        }
        var recorded = await store.RecordCrossingsAsync(crossings, cancellationToken);
        AlertMetrics.Crossings(recorded);
        return recorded;
    }
}
