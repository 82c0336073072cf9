using System.Globalization;
using System.Text;

namespace Gateway.Front.SelfService;

/// <summary>
/// A key's standing as one short line for a terminal status bar (Claude Code's <c>statusLine</c>), e.g.
/// <c>team_ab12 · $1.20 today / $20 · 38k out-tok/min left</c>: who (billing tag, else team), today's spend against
/// the daily budget, the month's against the monthly budget when there is one, and what is left of each limited
/// bucket. Formatted here rather than in the script so the script needs neither jq nor arithmetic.
/// </summary>
public static class UsageLine
{
    private const string Separator = " · ";

    public static string Format(KeyStanding standing)
    {
        var key = standing.Key;
        var limits = key.Limits;
        var line = new StringBuilder(96);
        line.Append(string.IsNullOrEmpty(key.BillingTag) ? key.TeamId : key.BillingTag);

        line.Append(Separator).Append(Money(standing.SpentTodayUsd)).Append(" today");
        if (limits.DailyBudgetUsd is { } daily)
        {
            line.Append(" / ").Append(Budget(daily));
        }
        if (limits.MonthlyBudgetUsd is { } monthly)
        {
            line.Append(Separator).Append(Money(standing.SpentThisMonthUsd)).Append(" month / ").Append(Budget(monthly));
        }
        if (standing.DailyBudgetLeftUsd == 0m || standing.MonthlyBudgetLeftUsd == 0m)
        {
            line.Append(Separator).Append("budget reached");
        }

        var buckets = new List<string>(3);
        if (standing.Requests is { } requests)
        {
            buckets.Add(Count(requests.Remaining) + " req");
        }
        if (standing.InputTokens is { } input)
        {
            buckets.Add(Count(input.Remaining) + " in-tok");
        }
        if (standing.OutputTokens is { } output)
        {
            buckets.Add(Count(output.Remaining) + " out-tok");
        }
        if (buckets.Count > 0)
        {
            line.Append(Separator).AppendJoin(", ", buckets).Append("/min left");
        }
        return line.ToString();
    }

    /// <summary>Cents, or four decimals below a dollar so the first requests of the day show.</summary>
    internal static string Money(decimal usd) =>
        "$" + usd.ToString(usd is > 0m and < 1m ? "0.00##" : "0.00", CultureInfo.InvariantCulture);

    internal static string Budget(decimal usd) => "$" + usd.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>1234 as 1.2k, 38000 as 38k, 2500000 as 2.5M.</summary>
    internal static string Count(long n) => n switch
    {
        < 1_000 => n.ToString(CultureInfo.InvariantCulture),
        < 10_000 => (n / 1_000d).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        < 1_000_000 => (n / 1_000).ToString(CultureInfo.InvariantCulture) + "k",
        < 10_000_000 => (n / 1_000_000d).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        _ => (n / 1_000_000).ToString(CultureInfo.InvariantCulture) + "M",
    };
}
