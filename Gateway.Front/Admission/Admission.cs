using Gateway.Grains.Abstractions;

namespace Gateway.Front.Admission;

/// <summary>The outcome of admitting one request against its key's lease.</summary>
public readonly record struct Admission(bool Admitted, KeyDescriptor Key, RateLimitSnapshot? Snapshot, LeaseDenial? Denial)
{
    /// <summary>The stream slot taken under a concurrency limit; disposing it frees the slot.</summary>
    public IDisposable? StreamSlot { get; init; }

    /// <summary>The request's worst-case cost held against the key's budget (keys with a budget only).</summary>
    public BudgetHold? Budget { get; init; }

    /// <summary>The lease holder asked had been retired by the book's sweep; the book asks its current one.</summary>
    internal bool Retired { get; init; }

    public static Admission Allow(KeyDescriptor key, RateLimitSnapshot? snapshot) => new(true, key, snapshot, null);

    public static Admission Deny(KeyDescriptor key, RateLimitSnapshot? snapshot, LeaseDenial denial) => new(false, key, snapshot, denial);
}
