namespace Gateway.Grains.Alerts;

/// <summary>Which thresholds a spend has reached: the crossing rule, apart from storage so it is tested alone.</summary>
public static class AlertCrossings
{
    /// <summary>
    /// The thresholds (percent) that <paramref name="spendUsd"/> has reached against <paramref name="budgetUsd"/>
    /// (spend ≥ budget × threshold / 100, exactly, in decimal) and that are not in <paramref name="recorded"/>,
    /// ascending. None without a positive budget.
    /// </summary>
    public static IReadOnlyList<int> NewlyCrossed(decimal spendUsd, decimal? budgetUsd, IEnumerable<int> thresholds, IEnumerable<int> recorded)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        ArgumentNullException.ThrowIfNull(recorded);
        if (budgetUsd is not { } budget || budget <= 0 || spendUsd <= 0)
        {
            return [];
        }
        var seen = recorded as IReadOnlySet<int> ?? recorded.ToHashSet();
        // spend * 100 >= budget * t avoids dividing (and rounding) decimals.
        var crossed = thresholds.Where(t => t > 0 && spendUsd * 100 >= budget * t && !seen.Contains(t)).Distinct().ToList();
        crossed.Sort();
        return crossed;
    }

    /// <summary>The first day of the period (<c>day</c> or <c>month</c>) that contains <paramref name="day"/>.</summary>
    public static DateOnly PeriodStart(string period, DateOnly day) => period switch
    {
        Storage.AlertPeriods.Day => day,
        Storage.AlertPeriods.Month => new DateOnly(day.Year, day.Month, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(period), period, "A period is 'day' or 'month'."),
    };
}
