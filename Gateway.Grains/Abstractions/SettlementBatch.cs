namespace Gateway.Grains.Abstractions;

/// <summary>
/// Usage charges from one front for one key, sent off the response path. The id makes a retried
/// batch count once, even across a silo failure (it is recorded in the same transaction as the spend).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SettlementBatch
{
    [Id(0)] public required Guid BatchId { get; init; }
    [Id(1)] public required IReadOnlyList<UsageCharge> Charges { get; init; }
}

/// <summary>The key's spend after a settlement, in USD.</summary>
[GenerateSerializer, Immutable]
public sealed record SpendSnapshot
{
    [Id(0)] public decimal SpentTodayUsd { get; init; }
    [Id(1)] public decimal SpentThisMonthUsd { get; init; }
}
