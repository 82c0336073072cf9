namespace Gateway.Grains.Abstractions;

/// <summary>
/// An amount held against a key's daily and monthly budgets until it is released (a Message Batch's
/// worst-case cost, until its results are charged). <see cref="Replaces"/> moves an existing hold to
/// a new id without checking the budget again (the provisional hold taken before the batch had an id).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record BatchBudgetHold
{
    [Id(0)] public required string HoldId { get; init; }
    [Id(1)] public required decimal Usd { get; init; }
    [Id(2)] public string? Replaces { get; init; }

    /// <summary>When a provisional hold lapses by itself (its front may die before it moves or releases it); null: never.</summary>
    [Id(3)] public DateTimeOffset? ExpiresAt { get; init; }
}
