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

    /// <summary>The worst-case USD admission held against the budget for this request; released when it is charged.</summary>
    [Id(11)] public decimal ReservedUsd { get; init; }

    /// <summary>The grain activation holding <see cref="ReservedUsd"/>; another activation never held it and releases nothing.</summary>
    [Id(12)] public Guid BudgetEpoch { get; init; }

    /// <summary>The front that held <see cref="ReservedUsd"/> (its lease's front id).</summary>
    [Id(13)] public string? FrontId { get; init; }

    /// <summary>Factor on the table's prices (Message Batches: 0.5); null is 1.</summary>
    [Id(14)] public decimal? PriceMultiplier { get; init; }

    /// <summary>
    /// A cost fixed by the caller instead of priced from the tokens (a Message Batch gone upstream before it
    /// was settled is charged the worst case held for it); null: priced from the tokens. Never negative.
    /// </summary>
    [Id(15)] public decimal? CostUsd { get; init; }

    /// <summary>The part of <see cref="CacheCreationInputTokens"/> written for an hour (priced at 2× input, not 1.25×).</summary>
    [Id(16)] public long CacheCreation1hInputTokens { get; init; }

    /// <summary>The counts above as one value; reads and sets those fields, which keep their Ids (the wire is unchanged).</summary>
    public TokenUsage Tokens
    {
        get => new(InputTokens, OutputTokens, CacheCreationInputTokens, CacheReadInputTokens, CacheCreation1hInputTokens);
        init => (InputTokens, OutputTokens, CacheCreationInputTokens, CacheReadInputTokens, CacheCreation1hInputTokens) =
            (value.Input, value.Output, value.CacheCreation, value.CacheRead, value.CacheCreation1h);
    }
}
