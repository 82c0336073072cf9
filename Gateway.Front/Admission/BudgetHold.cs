namespace Gateway.Front.Admission;

/// <summary>
/// One admitted request's worst-case cost, held against its key's budget until its charge reaches the key's
/// grain: the charge carries the amount and the grain activation holding it (<see cref="Epoch"/>, read when
/// the charge is sent), and the grain releases it as it books the real cost. Until then this front keeps
/// declaring it, so a re-activated grain holds it again: a request that has ended but is not yet charged is
/// neither in the spend nor forgotten.
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

    /// <summary>The grain activation holding it as this front knows now: the one its charge must name.</summary>
    public Guid Epoch => _holder.BudgetEpoch;

    /// <summary>The grain has the charge (or it was given up): this front stops declaring the hold. Once only.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _holder.ReleaseBudget(Usd, _generation);
        }
    }
}
