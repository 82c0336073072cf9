namespace Gateway.Grains.Storage;

/// <summary>Budgets run per UTC day and UTC month, whatever offset a time arrives with.</summary>
internal static class SpendDays
{
    public static (DateOnly Day, DateOnly MonthStart, DateOnly NextMonth) Of(DateTimeOffset at)
    {
        var day = DateOnly.FromDateTime(at.UtcDateTime);
        var monthStart = new DateOnly(day.Year, day.Month, 1);
        return (day, monthStart, monthStart.AddMonths(1));
    }
}
