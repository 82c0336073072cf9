namespace Gateway.Front.Settlement;

/// <summary>How usage reaches the grains, off the response path. Section <c>Settlement</c>.</summary>
public sealed class SettlementOptions
{
    public const string Section = "Settlement";

    /// <summary>Charges are gathered this long and sent as one batch per key.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Tries per batch, about half a second apart: long enough to ride out a silo failure (same batch id, so a retry never double-charges).</summary>
    public int Attempts { get; set; } = 20;

    /// <summary>Bound on charges waiting to be sent; beyond it a request waits (backpressure) rather than lose a charge.</summary>
    public int Capacity { get; set; } = 100_000;
}
