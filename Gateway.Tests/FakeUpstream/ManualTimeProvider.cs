namespace Gateway.Tests.FakeUpstream;

/// <summary>A clock tests move by hand, to expire cache entries and refill rate buckets instantly.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset _now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
