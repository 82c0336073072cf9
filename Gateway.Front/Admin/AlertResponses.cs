using Gateway.Grains.Storage;

namespace Gateway.Front.Admin;

/// <summary>
/// An alert rule as the admin API shows it. The webhook URL is shown as its scheme and host only: Slack's and
/// most chat tools' webhook URLs carry their secret in the path, and like a key's secret it is not shown again.
/// </summary>
internal sealed record AlertRuleResponse
{
    // An init property, not a constant getter: it is serialized as "type".
    public string Type { get; init; } = "alert_rule";
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Scope { get; init; }
    public required string TargetId { get; init; }
    public required string Period { get; init; }
    public required IReadOnlyList<int> Thresholds { get; init; }

    /// <summary>The rule's own budget; null: the key's own daily or monthly budget.</summary>
    public decimal? BudgetUsd { get; init; }

    /// <summary><c>https://host/…</c>: the URL without its path or query.</summary>
    public required string WebhookUrl { get; init; }

    public bool Enabled { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public static AlertRuleResponse From(AlertRule rule) => new()
    {
        Id = rule.RuleId,
        Name = rule.Name,
        Scope = rule.Scope,
        TargetId = rule.TargetId,
        Period = rule.Period,
        Thresholds = rule.Thresholds,
        BudgetUsd = rule.BudgetUsd,
        WebhookUrl = Masked(rule.WebhookUrl),
        Enabled = rule.Enabled,
        CreatedAt = rule.CreatedAt,
        UpdatedAt = rule.UpdatedAt,
    };

    public static string Masked(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}/…" : "…";
}

/// <summary>The answer to a delete, in the shape of Anthropic's deletions.</summary>
internal sealed record AlertRuleDeletedResponse(string Id)
{
    // An init property, not a constant getter: it is serialized as "type".
    public string Type { get; init; } = "alert_rule_deleted";
}

/// <summary>One recorded crossing and how its delivery went.</summary>
internal sealed record AlertDeliveryResponse
{
    // An init property, not a constant getter: it is serialized as "type".
    public string Type { get; init; } = "alert_delivery";
    public required long Id { get; init; }
    public required string RuleId { get; init; }
    public required DateOnly PeriodStart { get; init; }
    public required int Threshold { get; init; }
    public required decimal SpendUsd { get; init; }
    public required decimal BudgetUsd { get; init; }
    public required DateTimeOffset CrossedAt { get; init; }

    /// <summary><c>pending</c>, <c>delivered</c> or <c>abandoned</c>.</summary>
    public required string Status { get; init; }

    public int Attempts { get; init; }
    public DateTimeOffset? LastAttemptAt { get; init; }
    public int? LastStatus { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? DeliveredAt { get; init; }
    public DateTimeOffset? AbandonedAt { get; init; }

    public static AlertDeliveryResponse From(AlertDeliveryRecord d) => new()
    {
        Id = d.DeliveryId,
        RuleId = d.RuleId,
        PeriodStart = d.PeriodStart,
        Threshold = d.Threshold,
        SpendUsd = d.SpendUsd,
        BudgetUsd = d.BudgetUsd,
        CrossedAt = d.CrossedAt,
        Status = d.DeliveredAt is not null ? "delivered" : d.AbandonedAt is not null ? "abandoned" : "pending",
        Attempts = d.Attempts,
        LastAttemptAt = d.LastAttemptAt,
        LastStatus = d.LastStatus,
        LastError = d.LastError,
        DeliveredAt = d.DeliveredAt,
        AbandonedAt = d.AbandonedAt,
    };
}
