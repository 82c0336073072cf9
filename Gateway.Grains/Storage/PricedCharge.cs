using Gateway.Grains.Abstractions;

namespace Gateway.Grains.Storage;

/// <summary>
/// One settled request as the spend store records it: priced by the key's grain, and added to the
/// key's spend and to its <c>usage_minute</c> rollup row (key × model × <see cref="Minute"/>) in the
/// same transaction as the settlement batch id, so a retried batch counts none of it twice.
/// </summary>
public sealed record PricedCharge
{
    public required string Model { get; init; }

    /// <summary>The UTC minute the request ended in; the store truncates to the minute whatever it is given.</summary>
    public required DateTimeOffset Minute { get; init; }

    /// <summary>Requests this charge stands for (one per settled request, failed ones included).</summary>
    public long Requests { get; init; } = 1;

    /// <summary>The rollup keeps input, output, cache-write and cache-read counts (not the 1-hour part of the writes).</summary>
    public TokenUsage Tokens { get; init; }

    /// <summary>USD, at most eight decimals (the stores keep <c>numeric(20,8)</c>).</summary>
    public decimal CostUsd { get; init; }

    /// <summary>USD saved by prompt caching versus the same tokens uncached; negative when cache writes were not reused.</summary>
    public decimal CacheSavingsUsd { get; init; }

    public long ToolCalls { get; init; }

    /// <summary><paramref name="at"/> in UTC, truncated to the minute.</summary>
    public static DateTimeOffset MinuteOf(DateTimeOffset at)
    {
        var ticks = at.UtcTicks;
        return new DateTimeOffset(ticks - ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero);
    }
}

/// <summary>A row of <c>usage_minute</c>: one key's usage of one model in one UTC minute.</summary>
public sealed record UsageMinute(
    string KeyId,
    string Model,
    DateTimeOffset Minute,
    long Requests,
    long InputTokens,
    long OutputTokens,
    long CacheCreationTokens,
    long CacheReadTokens,
    decimal CostUsd,
    decimal CacheSavingsUsd,
    long ToolCalls);

internal static class UsageRollups
{
    /// <summary>
    /// Sums charges per model and minute, in (model, minute) order: one upsert per rollup row, always
    /// taken in the same order, so concurrent settlements of a key cannot deadlock on its rows.
    /// </summary>
    public static List<PricedCharge> Group(IReadOnlyList<PricedCharge> charges)
    {
        ArgumentNullException.ThrowIfNull(charges);
        var rows = new Dictionary<(string Model, DateTimeOffset Minute), PricedCharge>();
        foreach (var charge in charges)
        {
            var minute = PricedCharge.MinuteOf(charge.Minute);
            rows[(charge.Model, minute)] = rows.TryGetValue((charge.Model, minute), out var sum)
                ? sum with
                {
                    Requests = sum.Requests + charge.Requests,
                    Tokens = sum.Tokens + charge.Tokens,
                    CostUsd = sum.CostUsd + charge.CostUsd,
                    CacheSavingsUsd = sum.CacheSavingsUsd + charge.CacheSavingsUsd,
                    ToolCalls = sum.ToolCalls + charge.ToolCalls,
                }
                : charge with { Minute = minute };
        }
        var grouped = rows.Values.ToList();
        grouped.Sort(static (a, b) =>
        {
            var byModel = string.CompareOrdinal(a.Model, b.Model);
            return byModel != 0 ? byModel : a.Minute.CompareTo(b.Minute);
        });
        return grouped;
    }
}
