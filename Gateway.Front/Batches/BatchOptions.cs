namespace Gateway.Front.Batches;

/// <summary>Message Batches with virtual keys. Section <c>Batches</c>.</summary>
public sealed class BatchOptions
{
    public const string Section = "Batches";

    /// <summary>Factor on standard prices for batch usage (Anthropic bills batches at 50%).</summary>
    public decimal PriceMultiplier { get; set; } = 0.5m;

    /// <summary>Requests per batch (Anthropic's own limit is 100,000).</summary>
    public int MaxRequests { get; set; } = 100_000;

    /// <summary>How often this front looks for unsettled batches whose check is due.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a batch found still running waits before any front checks it again.</summary>
    public TimeSpan RecheckAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Batches one sweep claims at most.</summary>
    public int SweepBatchSize { get; set; } = 50;

    /// <summary>Longest results line read (a whole Message with its content).</summary>
    public int MaxResultLineBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Bound on each upstream call about a batch (results downloads included).</summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromMinutes(5);

    internal IEnumerable<string> Problems()
    {
        if (PriceMultiplier is <= 0 or > 1)
        {
            yield return $"{Section}:PriceMultiplier must be in (0, 1].";
        }
        if (MaxRequests is < 1 or > 100_000)
        {
            yield return $"{Section}:MaxRequests must be between 1 and 100000.";
        }
        if (SweepInterval <= TimeSpan.Zero || RecheckAfter <= TimeSpan.Zero || UpstreamTimeout <= TimeSpan.Zero)
        {
            yield return $"{Section}:SweepInterval, RecheckAfter and UpstreamTimeout must be positive.";
        }
        if (SweepBatchSize < 1 || MaxResultLineBytes < 1024)
        {
            yield return $"{Section}:SweepBatchSize must be positive, MaxResultLineBytes at least 1024.";
        }
    }
}
