namespace Gateway.Grains.Storage;

/// <summary>One Message Batch the gateway created for a virtual key (a <c>message_batches</c> row).</summary>
public sealed record BatchRecord
{
    public required string BatchId { get; init; }
    public required string KeyId { get; init; }
    public required string TeamId { get; init; }
    public string? BillingTag { get; init; }
    public required string Provider { get; init; }

    /// <summary>The upstream credential that created the batch; every later call about it uses the same one.</summary>
    public required string UpstreamKeyId { get; init; }
    public int RequestCount { get; init; }

    /// <summary>Worst-case cost at the batch price, held against the key's budget until settled.</summary>
    public decimal ReservedUsd { get; init; }
    public decimal? ChargedUsd { get; init; }
    public required string Status { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public DateTimeOffset? SettledAt { get; init; }
    public DateTimeOffset? DeletedAt { get; init; }
}

/// <summary>A hold a key's grain reloads on activation: an unsettled batch's reservation.</summary>
public readonly record struct OpenHold(string BatchId, decimal ReservedUsd);
