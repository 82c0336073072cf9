namespace Gateway.Grains.Abstractions;

/// <summary>Limit, remaining and full-refill time for each bucket: the virtual key's own rate-limit headers.</summary>
[GenerateSerializer, Immutable]
public sealed record RateLimitSnapshot
{
    [Id(0)] public BucketLevel? Requests { get; init; }
    [Id(1)] public BucketLevel? InputTokens { get; init; }
    [Id(2)] public BucketLevel? OutputTokens { get; init; }
}

[GenerateSerializer, Immutable]
public readonly record struct BucketLevel(
    [property: Id(0)] long Limit,
    [property: Id(1)] long Remaining,
    [property: Id(2)] DateTimeOffset Reset);
