namespace Gateway.Grains.Abstractions;

/// <summary>
/// What one request actually used, sent when it ends: the grain charges the difference between
/// this and what admission reserved, and prices it. An interrupted stream reports what was observed.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record UsageCharge
{
    [Id(0)] public required string RequestId { get; init; }
    [Id(1)] public required string Model { get; init; }
    [Id(2)] public long ReservedInputTokens { get; init; }
    [Id(3)] public long ReservedOutputTokens { get; init; }
    [Id(4)] public long InputTokens { get; init; }
    [Id(5)] public long OutputTokens { get; init; }
    [Id(6)] public long CacheCreationInputTokens { get; init; }
    [Id(7)] public long CacheReadInputTokens { get; init; }
    [Id(8)] public string? SessionId { get; init; }
    [Id(9)] public int ToolCalls { get; init; }
    [Id(10)] public DateTimeOffset At { get; init; }

    /// <summary>Factor on the table's prices (Message Batches: 0.5); null is 1.</summary>
    [Id(11)] public decimal? PriceMultiplier { get; init; }
}
