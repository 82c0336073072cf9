using System.Text.Json;
using Gateway.Grains.Alerts;
using Gateway.Grains.Storage;

namespace Gateway.Front.Admin;

/// <summary>An alert rule as a request describes it (create: scope, target_id, period and webhook_url required; PATCH: only what is present changes).</summary>
internal sealed record AlertInput(
    Field<string?> Name,
    Field<string?> Scope,
    Field<string?> TargetId,
    Field<string?> Period,
    Field<IReadOnlyList<int>> Thresholds,
    Field<decimal?> BudgetUsd,
    Field<string?> WebhookUrl,
    Field<bool?> Enabled);

/// <summary>Reads and checks <c>/admin/alerts</c> bodies; every problem becomes one line of a 400's message.</summary>
internal static class AlertRequests
{
    public const int MaxThresholds = 10;
    public const int MaxThresholdPercent = 1000;

    /// <summary>A budget beyond this is a typo, and would not fit the table's numeric(20, 8).</summary>
    public const decimal MaxBudgetUsd = 1_000_000_000_000m;

    public static readonly IReadOnlyList<int> DefaultThresholds = [50, 80, 100];

    public static AlertInput? Parse(JsonElement body, bool create, out string error)
    {
        var errors = new List<string>();
        AlertInput? input = null;
        var known = create
            ? new[] { "name", "scope", "target_id", "period", "thresholds", "budget_usd", "webhook_url", "enabled" }
            : ["name", "period", "thresholds", "budget_usd", "webhook_url", "enabled"];
        if (JsonFields.Of(body, "", errors, known) is { } fields)
        {
            var scope = create ? fields.OneOf("scope", AlertScopes.All) : Field<string?>.Absent;
            if (create && scope.Value is null)
            {
                errors.Add($"scope is required: one of {string.Join(", ", AlertScopes.All)}.");
            }
            var period = fields.OneOf("period", AlertPeriods.All);
            if ((create || period.IsSet) && period.Value is null)
            {
                errors.Add($"period is required: one of {string.Join(", ", AlertPeriods.All)}.");
            }
            var budget = fields.Usd("budget_usd");
            if (budget.Value is { } usd && (usd <= 0 || usd > MaxBudgetUsd))
            {
                errors.Add($"budget_usd must be more than 0 and at most {MaxBudgetUsd:0}, or null for the key's own budget.");
            }
            var enabled = fields.Bool("enabled");
            if (enabled is { IsSet: true, Value: null })
            {
                errors.Add("enabled must be true or false.");
            }
            input = new AlertInput(
                fields.String("name", nullable: false),
                scope,
                create ? fields.String("target_id", required: true, nullable: false) : Field<string?>.Absent,
                period,
                ParseThresholds(body, errors),
                budget,
                ParseWebhookUrl(body, required: create, errors),
                enabled);
        }
        error = string.Join(" ", errors);
        return errors.Count == 0 ? input : null;
    }

    /// <summary>1 to <see cref="MaxThresholds"/> distinct whole percents in [1, <see cref="MaxThresholdPercent"/>], returned ascending.</summary>
    private static Field<IReadOnlyList<int>> ParseThresholds(JsonElement body, List<string> errors)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("thresholds", out var value))
        {
            return Field<IReadOnlyList<int>>.Absent;
        }
        const string Rule = "thresholds must be an array of 1 to 10 distinct whole percents between 1 and 1000 (e.g. [50, 80, 100])";
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is 0 or > MaxThresholds)
        {
            errors.Add(Rule + ".");
            return Field<IReadOnlyList<int>>.Absent;
        }
        var thresholds = new SortedSet<int>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var percent) || percent is < 1 or > MaxThresholdPercent
                || !thresholds.Add(percent))
            {
                errors.Add($"{Rule}; got {(item.GetRawText() is { Length: <= 40 } raw ? raw : "a long value")}.");
                return Field<IReadOnlyList<int>>.Absent;
            }
        }
        return new(true, [.. thresholds]);
    }

    /// <summary>A string of at most <see cref="WebhookUrlPolicy.MaxLength"/> characters; the policy itself is checked by the handler (it needs the options).</summary>
    private static Field<string?> ParseWebhookUrl(JsonElement body, bool required, List<string> errors)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("webhook_url", out var value))
        {
            if (required)
            {
                errors.Add("webhook_url is required.");
            }
            return Field<string?>.Absent;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add("webhook_url must be an http or https URL.");
            return Field<string?>.Absent;
        }
        string url;
        try
        {
            url = value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            errors.Add("webhook_url must be printable text.");
            return Field<string?>.Absent;
        }
        if (url.Length > WebhookUrlPolicy.MaxLength)
        {
            errors.Add($"webhook_url must be at most {WebhookUrlPolicy.MaxLength} characters.");
            return Field<string?>.Absent;
        }
        return new(true, url);
    }
}
