namespace Gateway.Front.Admission;

/// <summary>
/// One admitted request's worst-case cost, held against its key's budget until the request ends. Released
/// once, when the request completes: the charge then carries the amount and the grain activation holding
/// it, and the grain releases it as it books the real cost.
/// </summary>
public sealed class BudgetHold
{
    private readonly KeyLeaseHolder _holder;
    private readonly long _generation;
    private int _released;

    internal BudgetHold(KeyLeaseHolder holder, decimal usd, long generation)
    {
        _holder = holder;
        _generation = generation;
        Usd = usd;
    }

    public decimal Usd { get; }

    /// <summary>The front holding it (the grain releases it from that front's holdings).</summary>
    public string FrontId => _holder.FrontId;

    /// <summary>Ends the hold on this front; returns the grain activation the charge must name (default if already released).</summary>
    public Guid Release() => Interlocked.Exchange(ref _released, 1) == 0 ? _holder.ReleaseBudget(Usd, _generation) : default;
}
