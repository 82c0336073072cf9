using Gateway.Grains.Abstractions;

namespace Gateway.Front.Identity;

/// <summary>A person's limits, as configured; null members are unlimited (the key's own meaning).</summary>
public sealed class UserLimitOptions
{
    public long? RequestsPerMinute { get; set; }
    public long? InputTokensPerMinute { get; set; }
    public long? OutputTokensPerMinute { get; set; }
    public int? ConcurrentStreams { get; set; }
    public decimal? DailyBudgetUsd { get; set; }
    public decimal? MonthlyBudgetUsd { get; set; }

    public KeyLimits ToKeyLimits() => new()
    {
        RequestsPerMinute = RequestsPerMinute,
        InputTokensPerMinute = InputTokensPerMinute,
        OutputTokensPerMinute = OutputTokensPerMinute,
        ConcurrentStreams = ConcurrentStreams,
        DailyBudgetUsd = DailyBudgetUsd,
        MonthlyBudgetUsd = MonthlyBudgetUsd,
    };

    public IEnumerable<string> Problems(string path)
    {
        if (RequestsPerMinute < 0 || InputTokensPerMinute < 0 || OutputTokensPerMinute < 0 || ConcurrentStreams < 0
            || DailyBudgetUsd < 0 || MonthlyBudgetUsd < 0)
        {
            yield return $"{path}: limits must not be negative.";
        }
    }
}
