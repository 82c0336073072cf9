namespace Gateway.Grains.Abstractions;

/// <summary>
/// A front asks a key's grain for a slice of its buckets, to admit requests locally for a short time,
/// and hands back what it did not use from its previous slice in the same call.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record LeaseRequest
{
    /// <summary>Identifies the front, so the grain can bound and reclaim each front's outstanding slice.</summary>
    [Id(0)] public required string FrontId { get; init; }
    [Id(1)] public long Requests { get; init; }
    [Id(2)] public long InputTokens { get; init; }
    [Id(3)] public long OutputTokens { get; init; }

    /// <summary>Unused remainder of the slice this request replaces.</summary>
    [Id(4)] public long ReturnedRequests { get; init; }
    [Id(5)] public long ReturnedInputTokens { get; init; }
    [Id(6)] public long ReturnedOutputTokens { get; init; }

    /// <summary>What the request waiting for this lease needs; less than this is no use to it.</summary>
    [Id(7)] public long MinInputTokens { get; init; }
    [Id(8)] public long MinOutputTokens { get; init; }

    /// <summary>Streams this front has open on the key now, and how many it wants room for (concurrency limit).</summary>
    [Id(9)] public int ActiveStreams { get; init; }
    [Id(10)] public int WantedStreams { get; init; }

    /// <summary>USD of budget headroom wanted, the waiting request's worst-case cost, and the unused USD slice handed back.</summary>
    [Id(11)] public decimal Usd { get; init; }
    [Id(12)] public decimal MinUsd { get; init; }
    [Id(13)] public decimal ReturnedUsd { get; init; }

    /// <summary>
    /// The grain activation this front's USD (returned slice, requests in flight) was held by. When it is
    /// not the grain's current one (the grain was re-activated), the grain holds <see cref="InFlightUsd"/> anew.
    /// </summary>
    [Id(14)] public Guid BudgetEpoch { get; init; }

    /// <summary>Worst-case USD of this front's requests on the key not yet charged (running, or ended and not yet settled).</summary>
    [Id(15)] public decimal InFlightUsd { get; init; }

    /// <summary>The USD slice this front keeps using (not handed back in this call).</summary>
    [Id(16)] public decimal KeptUsd { get; init; }

    /// <summary>
    /// The front's number for this call (0: none). A retry of a call that timed out carries the same number, and
    /// the grain answers it with the lease it already granted for it: a call that landed late is neither lost
    /// (its slice and the leftovers it handed back) nor applied twice.
    /// </summary>
    [Id(17)] public long Sequence { get; init; }
}
