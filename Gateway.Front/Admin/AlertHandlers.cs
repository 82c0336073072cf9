using Gateway.Grains.Alerts;
using Gateway.Grains.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Admin;

/// <summary>
/// <c>/admin/alerts</c>: budget alert rules (create, list, read, update, delete) and each rule's recorded
/// crossings (<c>/admin/alerts/{id}/deliveries</c>). A rule watches a team (the sum of its keys), a key, or a
/// user (a key of kind user); the silos evaluate and deliver (Gateway.Grains/Alerts).
/// </summary>
internal static class AlertHandlers
{
    /// <summary>How many recent crossings the deliveries listing shows.</summary>
    public const int DeliveriesShown = 100;

    /// <param name="alerts">Absent (null) when the gateway runs without Postgres.</param>
    public static async Task<IResult> CreateAsync(HttpContext context, [FromServices] IAlertStore? alerts, [FromServices] IKeyStore keys,
        [FromServices] IOptions<AlertOptions> options, [FromServices] ILoggerFactory loggers)
    {
        if (alerts is null)
        {
            return NoDatabase();
        }
        var (input, error) = await AdminRequests.ReadAsync<AlertInput>(context, AlertRequests.Parse, create: true);
        if (input is null)
        {
            return error!;
        }
        var rule = new AlertRule
        {
            RuleId = "",
            Name = input.Name.Value?.Trim() ?? "",
            Scope = input.Scope.Value!,
            TargetId = input.TargetId.Value!,
            Period = input.Period.Value!,
            Thresholds = input.Thresholds.IsSet ? input.Thresholds.Value : AlertRequests.DefaultThresholds,
            BudgetUsd = input.BudgetUsd.Value,
            WebhookUrl = input.WebhookUrl.Value!,
            Enabled = input.Enabled.Value ?? true,
        };
        var scope = CallerScope.Of(context);
        if (!await VisibleAsync(rule, scope, keys, context.RequestAborted))
        {
            return AdminResults.Forbidden($"A team lead sets alert rules on their own team ('{scope.TeamId}') and its keys and users only.");
        }
        if (await ProblemAsync(rule, keys, options.Value, context.RequestAborted) is { } problem)
        {
            return AdminResults.BadRequest(problem);
        }
        var created = await alerts.CreateRuleAsync(rule, context.RequestAborted);
        AdminLog.Changed(loggers.CreateLogger(AdminLog.Category), "created alert rule", created.RuleId);
        context.Response.Headers.Location = $"{AdminEndpoints.Prefix}/alerts/{created.RuleId}";
        return AdminResults.Json(AlertRuleResponse.From(created), AlertJsonContext.Default.AlertRuleResponse, StatusCodes.Status201Created);
    }

    public static async Task<IResult> ListAsync([FromQuery(Name = "scope")] string? scope, [FromQuery(Name = "target_id")] string? targetId,
        HttpContext context, [FromServices] IAlertStore? alerts, [FromServices] IKeyStore keys, CancellationToken cancellationToken)
    {
        if (alerts is null)
        {
            return NoDatabase();
        }
        if (!string.IsNullOrEmpty(scope) && Array.IndexOf(AlertScopes.All, scope) < 0)
        {
            return AdminResults.BadRequest($"scope: one of {string.Join(", ", AlertScopes.All)}, or leave it out for every rule.");
        }
        IEnumerable<AlertRule> rules = await alerts.ListRulesAsync(string.IsNullOrEmpty(scope) ? null : scope,
            string.IsNullOrEmpty(targetId) ? null : targetId, cancellationToken);
        var caller = CallerScope.Of(context);
        if (!caller.IsAdmin)
        {
            // One read of the lead's keys, not one per rule.
            var own = (await keys.ListKeysAsync(caller.TeamId, cancellationToken)).Select(k => k.Key.KeyId).ToHashSet(StringComparer.Ordinal);
            rules = rules.Where(r => r.Scope == AlertScopes.Team ? caller.Sees(r.TargetId) : own.Contains(r.TargetId));
        }
        return AdminResults.Json(new ListResponse<AlertRuleResponse>(rules.Select(AlertRuleResponse.From).ToList()),
            AlertJsonContext.Default.ListResponseAlertRuleResponse);
    }

    public static async Task<IResult> GetAsync(string id, HttpContext context, [FromServices] IAlertStore? alerts, [FromServices] IKeyStore keys,
        CancellationToken cancellationToken)
    {
        if (alerts is null)
        {
            return NoDatabase();
        }
        return await VisibleRuleAsync(id, context, alerts, keys, cancellationToken) is { } rule
            ? AdminResults.Json(AlertRuleResponse.From(rule), AlertJsonContext.Default.AlertRuleResponse)
            : NoSuchRule(id);
    }

    /// <summary>
    /// Partial: absent fields stay; <c>budget_usd: null</c> falls back to the key's own budget. Scope and target
    /// are fixed (make a new rule instead). Crossings already recorded for this period stay recorded.
    /// </summary>
    public static async Task<IResult> UpdateAsync(string id, HttpContext context, [FromServices] IAlertStore? alerts,
        [FromServices] IKeyStore keys, [FromServices] IOptions<AlertOptions> options, [FromServices] ILoggerFactory loggers)
    {
        if (alerts is null)
        {
            return NoDatabase();
        }
        var (input, error) = await AdminRequests.ReadAsync<AlertInput>(context, AlertRequests.Parse, create: false);
        if (input is null)
        {
            return error!;
        }
        if (await VisibleRuleAsync(id, context, alerts, keys, context.RequestAborted) is not { } current)
        {
            return NoSuchRule(id);
        }
        var update = new AlertRuleUpdate
        {
            Name = input.Name.IsSet ? input.Name.Value!.Trim() : null,
            Period = input.Period.Value,
            Thresholds = input.Thresholds.IsSet ? input.Thresholds.Value : null,
            SetBudget = input.BudgetUsd.IsSet,
            BudgetUsd = input.BudgetUsd.Value,
            WebhookUrl = input.WebhookUrl.Value,
            Enabled = input.Enabled.Value,
        };
        var merged = current with
        {
            Name = update.Name ?? current.Name,
            Period = update.Period ?? current.Period,
            Thresholds = update.Thresholds ?? current.Thresholds,
            BudgetUsd = update.SetBudget ? update.BudgetUsd : current.BudgetUsd,
            WebhookUrl = update.WebhookUrl ?? current.WebhookUrl,
        };
        if (await ProblemAsync(merged, keys, options.Value, context.RequestAborted, checkUrl: update.WebhookUrl is not null) is { } problem)
        {
            return AdminResults.BadRequest(problem);
        }
        if (await alerts.UpdateRuleAsync(id, update, context.RequestAborted) is not { } updated)
        {
            return NoSuchRule(id);
        }
        AdminLog.Changed(loggers.CreateLogger(AdminLog.Category), "updated alert rule", id);
        return AdminResults.Json(AlertRuleResponse.From(updated), AlertJsonContext.Default.AlertRuleResponse);
    }

    /// <summary>Deletes the rule and its recorded crossings (pending ones are not sent).</summary>
    public static async Task<IResult> DeleteAsync(string id, HttpContext context, [FromServices] IAlertStore? alerts, [FromServices] IKeyStore keys,
        [FromServices] ILoggerFactory loggers)
    {
        if (alerts is null)
        {
            return NoDatabase();
        }
        if (await VisibleRuleAsync(id, context, alerts, keys, context.RequestAborted) is null || !await alerts.DeleteRuleAsync(id, context.RequestAborted))
        {
            return NoSuchRule(id);
        }
        AdminLog.Changed(loggers.CreateLogger(AdminLog.Category), "deleted alert rule", id);
        return AdminResults.Json(new AlertRuleDeletedResponse(id), AlertJsonContext.Default.AlertRuleDeletedResponse);
    }

    /// <summary>The rule's most recent crossings, newest first, with their delivery state.</summary>
    public static async Task<IResult> DeliveriesAsync(string id, HttpContext context, [FromServices] IAlertStore? alerts, [FromServices] IKeyStore keys,
        CancellationToken cancellationToken)
    {
        if (alerts is null)
        {
            return NoDatabase();
        }
        if (await VisibleRuleAsync(id, context, alerts, keys, cancellationToken) is null)
        {
            return NoSuchRule(id);
        }
        var rows = await alerts.ListDeliveriesAsync(id, DeliveriesShown, cancellationToken);
        return AdminResults.Json(new ListResponse<AlertDeliveryResponse>(rows.Select(AlertDeliveryResponse.From).ToList()),
            AlertJsonContext.Default.ListResponseAlertDeliveryResponse);
    }

    /// <summary>
    /// What is wrong with a rule as it would be saved: a webhook URL the policy refuses, a target that does not
    /// exist (or a user rule on a key that is not a user's), or no budget to measure against.
    /// </summary>
    private static async Task<string?> ProblemAsync(AlertRule rule, IKeyStore keys, AlertOptions options, CancellationToken cancellationToken,
        bool checkUrl = true)
    {
        if (checkUrl && WebhookUrlPolicy.Problem(rule.WebhookUrl, options.AllowedWebhookHosts) is { } urlProblem)
        {
            return $"webhook_url {urlProblem}.";
        }
        if (rule.Scope == AlertScopes.Team)
        {
            if ((await keys.ListTeamsAsync(cancellationToken)).All(t => t.TeamId != rule.TargetId))
            {
                return $"target_id '{rule.TargetId}' does not name a team.";
            }
            return rule.BudgetUsd is null ? "budget_usd is required for a team rule (teams have no budget of their own)." : null;
        }
        if (rule.Scope == AlertScopes.User && !UserKeys.IsUserKeyId(rule.TargetId))
        {
            return $"target_id of a user rule must be a user's key id ({UserKeys.IdPrefix}…); use scope \"key\" for other keys.";
        }
        if (await keys.GetKeyAsync(rule.TargetId, cancellationToken) is not { } key)
        {
            return $"target_id '{rule.TargetId}' does not name a key.";
        }
        var own = rule.Period == AlertPeriods.Day ? key.Key.Limits.DailyBudgetUsd : key.Key.Limits.MonthlyBudgetUsd;
        return rule.BudgetUsd is null && own is not > 0
            ? $"budget_usd is required: key '{rule.TargetId}' has no {(rule.Period == AlertPeriods.Day ? "daily" : "monthly")} budget of its own."
            : null;
    }

    /// <summary>The rule when the caller may reach it; a rule on another team (or its keys) is, for a lead, a rule that does not exist.</summary>
    private static async Task<AlertRule?> VisibleRuleAsync(string id, HttpContext context, IAlertStore alerts, IKeyStore keys,
        CancellationToken cancellationToken) =>
        await alerts.GetRuleAsync(id, cancellationToken) is { } rule && await VisibleAsync(rule, CallerScope.Of(context), keys, cancellationToken)
            ? rule
            : null;

    /// <summary>A team rule watches its team; a key or user rule its key's team.</summary>
    private static async Task<bool> VisibleAsync(AlertRule rule, CallerScope scope, IKeyStore keys, CancellationToken cancellationToken) =>
        scope.IsAdmin || (rule.Scope == AlertScopes.Team
            ? scope.Sees(rule.TargetId)
            : await keys.GetKeyAsync(rule.TargetId, cancellationToken) is { } key && scope.Sees(key.Key.TeamId));

    private static IResult NoSuchRule(string id) => AdminResults.NotFound($"No alert rule with id '{id}'.");

    private static IResult NoDatabase() => AdminResults.NotFound(
        "Budget alerts live in the usage database, and this gateway runs without one " +
        $"({PostgresOptions.Section}:ConnectionString is empty).");
}
