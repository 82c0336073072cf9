using Gateway.Grains.Keys;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Grains.Keys;

/// <summary>A per-minute limit as a bucket refilled continuously at limit/60 a second, with debt paid back before any grant.</summary>
public sealed class TokenBucketTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    private DateTimeOffset Now => _time.GetUtcNow();

    private DateTimeOffset After(double seconds)
    {
        _time.Advance(TimeSpan.FromSeconds(seconds));
        return Now;
    }

    [Fact]
    public void A_new_bucket_grants_up_to_its_limit_at_once_and_nothing_more()
    {
        var bucket = new TokenBucket(60, 60, Now);
        Assert.Equal(50, bucket.Take(50, 1, Now));
        Assert.Equal(10, bucket.Take(50, 1, Now));
        Assert.Equal(0, bucket.Take(1, 1, Now));
    }

    [Fact]
    public void An_empty_bucket_refills_limit_over_sixty_per_second_up_to_the_limit()
    {
        var bucket = new TokenBucket(120, 0, Now); // two a second
        Assert.Equal(0, bucket.Take(10, 1, After(0.25)));
        Assert.Equal(1, bucket.Take(10, 1, After(0.25)));
        Assert.Equal(10, bucket.Take(100, 1, After(5)));
        Assert.Equal(120, bucket.Take(1000, 1, After(3600))); // an idle hour fills it once, not thirty times
    }

    [Fact]
    public void A_take_below_its_minimum_gets_nothing_and_leaves_the_level()
    {
        var bucket = new TokenBucket(60, 4, Now);
        Assert.Equal(0, bucket.Take(10, 5, Now));
        Assert.Equal(4, bucket.Level);
        Assert.Equal(4, bucket.Take(10, 4, Now));
    }

    [Fact]
    public void Usage_beyond_the_reservation_is_debt_paid_back_by_refill_before_the_next_grant()
    {
        var bucket = new TokenBucket(60, 0, Now); // one a second
        bucket.Adjust(-30, Now);
        Assert.Equal(-30, bucket.Level);
        Assert.Equal(TimeSpan.FromSeconds(31), bucket.TimeUntil(1, Now));
        Assert.Equal(0, bucket.Take(1, 1, After(30)));
        Assert.Equal(1, bucket.Take(1, 1, After(1)));
    }

    [Fact]
    public void Unused_units_credited_back_never_lift_the_level_above_the_limit()
    {
        var bucket = new TokenBucket(60, 50, Now);
        bucket.Adjust(30, Now);
        Assert.Equal(60, bucket.Level);
        Assert.Equal(60, new TokenBucket(60, 500, Now).Level);
    }

    [Fact]
    public void The_wait_for_more_units_than_the_limit_is_capped_at_a_full_refill()
    {
        var bucket = new TokenBucket(60, 0, Now);
        Assert.Equal(TimeSpan.FromSeconds(60), bucket.TimeUntil(1000, Now));
        Assert.Equal(TimeSpan.Zero, new TokenBucket(60, 5, Now).TimeUntil(5, Now));
    }

    [Fact]
    public void The_view_shows_whole_units_left_and_when_the_bucket_is_full_again()
    {
        var bucket = new TokenBucket(120, 10.5, Now);
        var view = bucket.View(Now);
        Assert.Equal(120, view.Limit);
        Assert.Equal(10, view.Remaining);
        Assert.Equal(Now + TimeSpan.FromSeconds(54.75), view.Reset);

        // In debt: nothing remaining, and the reset counts from empty (the debt is not shown).
        bucket.Adjust(-20, Now);
        var owing = bucket.View(Now);
        Assert.Equal(0, owing.Remaining);
        Assert.Equal(Now + TimeSpan.FromSeconds(60), owing.Reset);
    }

    [Fact]
    public void A_clock_that_steps_back_refills_nothing()
    {
        var start = Now;
        var bucket = new TokenBucket(60, 10, After(10));
        Assert.Equal(10, bucket.Take(100, 1, start));
        Assert.Equal(0, bucket.Level);
        Assert.Equal(Now, bucket.UpdatedAt);
    }
}
