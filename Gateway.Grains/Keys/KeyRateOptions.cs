namespace Gateway.Grains.Keys;

/// <summary>How keys' grains hand out leases. Section <c>Leases</c>.</summary>
public sealed class KeyRateOptions
{
    public const string Section = "Leases";

    /// <summary>
    /// How long a front may admit from a slice. Also the bound on how long a revoked key or a lowered
    /// limit can still be honoured by a front, so at most one second.
    /// </summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most of a bucket one grant may take, so several fronts share a hot key fairly.</summary>
    public double MaxShareOfAvailable { get; set; } = 0.5;

    /// <summary>How often dirty bucket levels are written to the store (the loss window on a silo crash).</summary>
    public TimeSpan PersistInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// A front that has not called a key's grain for this long is taken for dead: the budget it held (its
    /// slice, its running requests' worst cases) is released. Fronts with requests running call every half
    /// lease, so this only has to outlast a partition worth waiting for.
    /// </summary>
    public TimeSpan BudgetHoldExpiry { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a new activation counts the budget money its predecessor held (saved with the bucket
    /// levels) as still held, while the fronts declare to it what they hold: every front with something
    /// held calls within about a lease and a half, grain-call retries included.
    /// </summary>
    public TimeSpan BudgetHoldCarryOver { get; set; } = TimeSpan.FromSeconds(5);
}
