using Gateway.Grains.Abstractions;

namespace Gateway.Grains.Keys;

/// <summary>
/// The USD a key's grain holds against its budgets for money that may still be spent: the slices granted
/// to fronts (which admit locally while a slice covers a request's worst case) and the worst cases of
/// admitted requests not yet charged. Headroom is budget − spent − held, so requests running at once can
/// never together spend past the budget; settlement releases each request's hold and books its real cost.
/// <para>
/// Kept in memory per front, one set per activation (<see cref="Epoch"/>), and the total saved with the
/// bucket levels. After a silo kill the new activation counts the saved total as held (less what fronts
/// declare) for <see cref="KeyRateOptions.BudgetHoldCarryOver"/>; each front's next call (within about half
/// a lease while it holds anything) declares what it still runs and the slice it keeps, which are held
/// anew. So a kill creates headroom beyond the budget only for what was granted after the last save
/// (<see cref="KeyRateOptions.PersistInterval"/>). A front silent for <see cref="KeyRateOptions.BudgetHoldExpiry"/>
/// is taken for dead and its holds released (should it come back, what it declares is held again).
/// </para>
/// </summary>
internal sealed class BudgetHolds
{
    private readonly Dictionary<string, FrontHolds> _fronts = new(StringComparer.Ordinal);

    private decimal _inherited;
    private DateTimeOffset _inheritedUntil;

    public Guid Epoch { get; } = Guid.NewGuid();

    /// <summary>What this activation holds for the fronts it knows (saved with the bucket levels).</summary>
    public decimal Held { get; private set; }

    /// <summary>
    /// What the previous activation last saved as held: counted as held, less what fronts have declared to
    /// this activation since, until <paramref name="until"/> (by when every front holding something has
    /// called). A silo kill so loses only what was granted after the last save.
    /// </summary>
    public void Inherit(decimal? saved, DateTimeOffset until)
    {
        _inherited = Math.Max(0, saved ?? 0);
        _inheritedUntil = until;
    }

    /// <summary>What counts as held now: this activation's holds, and its predecessor's not yet declared again.</summary>
    public decimal Effective(DateTimeOffset now) => now < _inheritedUntil ? Held + _inherited : Held;

    /// <summary>Only keys with a budget pay for this bookkeeping.</summary>
    public static bool Applies(KeyLimits limits) => limits.DailyBudgetUsd is not null || limits.MonthlyBudgetUsd is not null;

    /// <summary>
    /// A front's call: its unused slice comes back; a front this activation does not know (new, expired, or
    /// last seen by another activation) has what it declares held anew. Silent fronts are dropped.
    /// </summary>
    public void TakeBack(LeaseRequest request, DateTimeOffset now, TimeSpan expiry)
    {
        Expire(now, expiry, request.FrontId);
        if (!_fronts.TryGetValue(request.FrontId, out var front))
        {
            if (request.InFlightUsd <= 0 && request.KeptUsd <= 0 && request.ReturnedUsd <= 0 && request.Usd <= 0 && request.MinUsd <= 0)
            {
                return; // nothing held, nothing asked: no entry for a key without budget traffic
            }
            front = new FrontHolds();
            _fronts[request.FrontId] = front;
            Adopt(front, request);
        }
        else if (request.BudgetEpoch != Epoch)
        {
            Adopt(front, request);
        }
        else
        {
            Add(front, -request.ReturnedUsd);
        }
        front.LastCall = now;
    }

    /// <summary>A settled request's hold; only this activation's holds are released, and only from the front that has them.</summary>
    public void Release(decimal usd, Guid epoch, string? frontId)
    {
        if (epoch == Epoch && usd > 0 && frontId is not null && _fronts.TryGetValue(frontId, out var front))
        {
            Add(front, -usd);
        }
    }

    /// <summary>What can still be held: the tighter of the two budgets, less what is already held.</summary>
    public decimal Headroom(KeyLimits limits, decimal spentToday, decimal spentMonth, DateTimeOffset now)
    {
        var left = decimal.MaxValue;
        if (limits.DailyBudgetUsd is { } daily)
        {
            left = Math.Min(left, daily - spentToday);
        }
        if (limits.MonthlyBudgetUsd is { } monthly)
        {
            left = Math.Min(left, monthly - spentMonth);
        }
        return left - Effective(now);
    }

    /// <summary>Why a request costing up to <paramref name="needed"/> cannot be admitted now, naming the budget; null when it can.</summary>
    public LeaseDenial? Shortfall(KeyLimits limits, decimal spentToday, decimal spentMonth, decimal needed, DateTimeOffset now)
    {
        if (needed <= 0)
        {
            return null;
        }
        var held = Effective(now);
        if (limits.DailyBudgetUsd is { } daily && daily - spentToday - held < needed)
        {
            var midnight = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
            return Denial(DenialReason.DailyBudget, "daily", daily, spentToday, held, needed, "today; it resets at 00:00 UTC", midnight - now);
        }
        if (limits.MonthlyBudgetUsd is { } monthly && monthly - spentMonth - held < needed)
        {
            var first = new DateTimeOffset(new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1), TimeSpan.Zero);
            return Denial(DenialReason.MonthlyBudget, "monthly", monthly, spentMonth, held, needed, "this month; it resets on the 1st at 00:00 UTC", first - now);
        }
        return null;
    }

    private static LeaseDenial Denial(DenialReason reason, string period, decimal budget, decimal spent, decimal held, decimal needed, string when, TimeSpan untilReset)
    {
        var left = Math.Max(0, budget - spent);
        // Held money comes back as running requests finish: worth asking again soon, unless even all of it would not do.
        var soon = held > 0 && left >= needed;
        return new LeaseDenial
        {
            Reason = reason,
            Message = $"This API key's {period} budget of ${budget:0.########} cannot cover this request's worst-case cost of ${needed:0.######} "
                + $"(its max_tokens at the model's price): ${left:0.######} is left {when}"
                + (held > 0 ? $" (${Math.Min(held, left):0.######} of it held by requests still running)." : "."),
            RetryAfter = soon ? TimeSpan.FromSeconds(1) : untilReset,
        };
    }

    /// <summary>
    /// Holds a slice for a front: what it asked for, at most <paramref name="share"/> of the headroom (the
    /// other fronts need some), never less than the waiting request's worst case. Call after <see cref="Shortfall"/>.
    /// </summary>
    public decimal Grant(string frontId, decimal headroom, decimal wanted, decimal minimum, double share)
    {
        var slice = Math.Max(minimum, Math.Min(wanted, Math.Max(0, headroom) * (decimal)share));
        slice = Math.Min(slice, Math.Max(0, headroom));
        if (slice > 0)
        {
            if (!_fronts.TryGetValue(frontId, out var front))
            {
                _fronts[frontId] = front = new FrontHolds();
            }
            Add(front, slice);
        }
        return slice;
    }

    /// <summary>
    /// Holds what a front declares it still runs and the slice it keeps; those, and a slice it hands back
    /// from the predecessor, are no longer part of the predecessor's saved holds.
    /// </summary>
    private void Adopt(FrontHolds front, LeaseRequest request)
    {
        var declared = Math.Max(0, request.InFlightUsd) + Math.Max(0, request.KeptUsd);
        Add(front, declared);
        _inherited = Math.Max(0, _inherited - declared - Math.Max(0, request.ReturnedUsd));
    }

    /// <summary>Moves a front's holding (never below zero) and the total with it.</summary>
    private void Add(FrontHolds front, decimal usd)
    {
        var next = Math.Max(0, front.Held + usd);
        Held += next - front.Held;
        front.Held = next;
    }

    private void Expire(DateTimeOffset now, TimeSpan expiry, string caller)
    {
        List<string>? silent = null;
        foreach (var (id, front) in _fronts)
        {
            if (id != caller && now - front.LastCall > expiry)
            {
                (silent ??= []).Add(id);
            }
        }
        foreach (var id in silent ?? [])
        {
            Held -= _fronts[id].Held;
            _fronts.Remove(id);
        }
    }

    private sealed class FrontHolds
    {
        public decimal Held;
        public DateTimeOffset LastCall;
    }
}
