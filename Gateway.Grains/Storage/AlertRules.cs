namespace Gateway.Grains.Storage;

/// <summary>What an alert rule watches: a team (the sum of its keys), a key, or a user (a key of kind <c>user</c>, id <c>usr_…</c>).</summary>
public static class AlertScopes
{
    public const string Team = "team";
    public const string Key = "key";
    public const string User = "user";

    public static readonly string[] All = [Team, Key, User];
}

/// <summary>The budget period a rule measures: the UTC day or the UTC month, as key budgets do.</summary>
public static class AlertPeriods
{
    public const string Day = "day";
    public const string Month = "month";

    public static readonly string[] All = [Day, Month];
}

/// <summary>
/// A budget alert rule: post to <see cref="WebhookUrl"/> when the spend of <see cref="TargetId"/> in the
/// current <see cref="Period"/> reaches each of <see cref="Thresholds"/> percent of the budget. The budget is
/// <see cref="BudgetUsd"/>, or when null the key's own daily or monthly budget (team rules always carry one).
/// </summary>
public sealed record AlertRule
{
    public required string RuleId { get; init; }
    public string Name { get; init; } = "";
    public required string Scope { get; init; }
    public required string TargetId { get; init; }
    public required string Period { get; init; }

    /// <summary>Percent of the budget, ascending and distinct.</summary>
    public required IReadOnlyList<int> Thresholds { get; init; }

    public decimal? BudgetUsd { get; init; }
    public required string WebhookUrl { get; init; }
    public bool Enabled { get; init; } = true;
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A partial update: null members are left as they are; <see cref="SetBudget"/> true replaces the budget (null: the key's own).</summary>
public sealed record AlertRuleUpdate
{
    public string? Name { get; init; }
    public string? Period { get; init; }
    public IReadOnlyList<int>? Thresholds { get; init; }
    public bool SetBudget { get; init; }
    public decimal? BudgetUsd { get; init; }
    public string? WebhookUrl { get; init; }
    public bool? Enabled { get; init; }
}
