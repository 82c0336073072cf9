using Gateway.Grains.Abstractions;

namespace Gateway.Front.SelfService;

/// <summary>One per-minute bucket: its size, what is left now, and when it is full again if nothing more is taken.</summary>
internal sealed record BucketResponse(long Limit, long Remaining, DateTimeOffset Reset)
{
    public static BucketResponse? From(BucketLevel? level) => level is { } l ? new(l.Limit, l.Remaining, l.Reset) : null;
}
