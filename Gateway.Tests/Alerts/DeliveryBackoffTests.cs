using Gateway.Grains.Alerts;

namespace Gateway.Tests.Alerts;

/// <summary>Failed deliveries wait longer each time, capped, jittered, and stop at the give-up horizon.</summary>
public sealed class DeliveryBackoffTests
{
    private static readonly AlertOptions Options = new()
    {
        RetryBaseDelay = TimeSpan.FromSeconds(5),
        RetryMaxDelay = TimeSpan.FromMinutes(5),
        GiveUpAfter = TimeSpan.FromHours(1),
    };

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 10)]
    [InlineData(3, 20)]
    [InlineData(7, 300)]
    [InlineData(50, 300)]
    public void The_delay_doubles_per_attempt_up_to_the_cap(int attempts, int seconds)
    {
        // jitter 0.5 is the middle of ±20 %.
        Assert.Equal(TimeSpan.FromSeconds(seconds), DeliveryBackoff.Delay(attempts, Options, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(seconds * 0.8), DeliveryBackoff.Delay(attempts, Options, 0));
        Assert.True(DeliveryBackoff.Delay(attempts, Options, 0.999999) < TimeSpan.FromSeconds(seconds * 1.2));
    }

    [Fact]
    public void No_next_attempt_past_the_give_up_horizon()
    {
        var crossed = new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(crossed.AddMinutes(10).AddSeconds(300), DeliveryBackoff.Next(crossed, crossed.AddMinutes(10), 9, Options, 0.5));
        Assert.Null(DeliveryBackoff.Next(crossed, crossed.AddMinutes(58), 9, Options, 0.5));
    }
}
