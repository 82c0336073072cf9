using Gateway.Grains.Alerts;
using Gateway.Grains.Storage;

namespace Gateway.Tests.Alerts;

/// <summary>The crossing rule alone: which thresholds a spend has reached, once each, per period.</summary>
public sealed class AlertCrossingsTests
{
    private static readonly int[] FiftyEightyHundred = [50, 80, 100];

    [Theory]
    [InlineData("4.99999999", new int[0])]
    [InlineData("5", new[] { 50 })]
    [InlineData("7.99", new[] { 50 })]
    [InlineData("8.00", new[] { 50, 80 })]
    [InlineData("10", new[] { 50, 80, 100 })]
    [InlineData("250", new[] { 50, 80, 100 })]
    public void A_threshold_is_crossed_when_spend_reaches_its_share_of_the_budget_exactly(string spend, int[] expected)
    {
        Assert.Equal(expected, AlertCrossings.NewlyCrossed(decimal.Parse(spend, System.Globalization.CultureInfo.InvariantCulture), 10m, FiftyEightyHundred, []));
    }

    [Fact]
    public void Thresholds_already_recorded_this_period_are_not_crossed_again()
    {
        Assert.Equal([80], AlertCrossings.NewlyCrossed(9m, 10m, FiftyEightyHundred, [50]));
        Assert.Empty(AlertCrossings.NewlyCrossed(9m, 10m, FiftyEightyHundred, [50, 80]));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    [InlineData(-1)]
    public void Without_a_positive_budget_nothing_is_crossed(int? budget)
    {
        Assert.Empty(AlertCrossings.NewlyCrossed(1_000m, budget, FiftyEightyHundred, []));
    }

    [Fact]
    public void No_spend_crosses_nothing_and_order_and_repeats_in_the_rule_do_not_matter()
    {
        Assert.Empty(AlertCrossings.NewlyCrossed(0m, 10m, [1], []));
        Assert.Equal([50, 80], AlertCrossings.NewlyCrossed(8m, 10m, [80, 50, 80, 150], []));
    }

    [Fact]
    public void Thresholds_over_100_percent_watch_an_overrun()
    {
        Assert.Equal([100, 120], AlertCrossings.NewlyCrossed(12.5m, 10m, [100, 120, 200], []));
    }

    [Fact]
    public void A_period_starts_on_its_UTC_day_or_the_first_of_its_month()
    {
        var day = new DateOnly(2026, 12, 31);
        Assert.Equal(day, AlertCrossings.PeriodStart(AlertPeriods.Day, day));
        Assert.Equal(new DateOnly(2026, 12, 1), AlertCrossings.PeriodStart(AlertPeriods.Month, day));
        Assert.Throws<ArgumentOutOfRangeException>(() => AlertCrossings.PeriodStart("week", day));
    }
}
