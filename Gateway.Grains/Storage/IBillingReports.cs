namespace Gateway.Grains.Storage;

/// <summary>
/// Finance's monthly numbers from the usage database (view <c>billing_export_month</c> over
/// <c>usage_minute</c>). Only registered with Postgres: usage kept in memory is not billed from.
/// </summary>
public interface IBillingReports
{
    /// <summary>
    /// One line per billing tag × team × model for the UTC month starting <paramref name="month"/>
    /// (the 1st), ordered by tag (untagged last), team name, team id and model; optionally one tag only.
    /// </summary>
    Task<IReadOnlyList<BillingLine>> MonthAsync(DateOnly month, string? billingTag, CancellationToken cancellationToken = default);
}

/// <summary>A month's usage of one model by one team under one billing tag (the key's, else its team's).</summary>
public sealed record BillingLine(
    DateOnly Month,
    string? BillingTag,
    string? TeamId,
    string? TeamName,
    string Model,
    long Requests,
    long InputTokens,
    long OutputTokens,
    long CacheCreationTokens,
    long CacheReadTokens,
    decimal CostUsd,
    decimal CacheSavingsUsd);
