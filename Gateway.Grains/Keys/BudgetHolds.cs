using Gateway.Grains.Abstractions;

namespace Gateway.Grains.Keys;

/// <summary>
/// The USD a key's grain holds against its budgets for money that may still be spent: the slices granted
/// to fronts (which admit locally while a slice covers a request's worst case) and the worst cases of
/// admitted requests still running. Headroom is budget − spent − held, so requests running at once can
/// never together spend past the budget; settlement releases each request's hold and books its real cost.
/// <para>
/// Kept in memory per front, one set per activation (<see cref="Epoch"/>). After a silo kill the new
/// activation starts with nothing held: each front, on its next call (within about half a lease while it
/// has requests running), declares the worst cases it still runs and they are held again; the slices the
/// dead activation granted are dropped by the fronts once they see the new epoch, and never released twice.
/// A front silent for <see cref="KeyRateOptions.BudgetHoldExpiry"/> is taken for dead and its holds released
/// (should it come back, what it declares running is held again).
/// </para>
/// </summary>
internal sealed class BudgetHolds
{
    private readonly Dictionary<string, FrontHolds> _fronts = new(StringComparer.Ordinal);

    public Guid Epoch { get; } = Guid.NewGuid();

    public decimal Held { get; private set; }

    /// <summary>Only keys with a budget pay for this bookkeeping.</summary>
    public static bool Applies(KeyLimits limits) => limits.DailyBudgetUsd is not null || limits.MonthlyBudgetUsd is not null;

    /// <summary>
    /// A front's call: its unused slice comes back; a front this activation does not know (new, expired, or
    /// last seen by another activation) has what it declares running held anew. Silent fronts are dropped.
    /// </summary>
    public void TakeBack(LeaseRequest request, DateTimeOffset now, TimeSpan expiry)
    {
        Expire(now, expiry, request.FrontId);
        if (!_fronts.TryGetValue(request.FrontId, out var front))
        {
            if (request.InFlightUsd <= 0 && request.ReturnedUsd <= 0 && request.Usd <= 0 && request.MinUsd <= 0)
            {
                return; // nothing held, nothing asked: no entry for a key without budget traffic
            }
            front = new FrontHolds();
            _fronts[request.FrontId] = front;
            Add(front, request.InFlightUsd);
        }
        else if (request.BudgetEpoch != Epoch)
        {
            Add(front, request.InFlightUsd);
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
    public decimal Headroom(KeyLimits limits, decimal spentToday, decimal spentMonth)
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
        return left - Held;
    }

    /// <summary>Why a request costing up to <paramref name="needed"/> cannot be admitted now, naming the budget; null when it can.</summary>
    public LeaseDenial? Shortfall(KeyLimits limits, decimal spentToday, decimal spentMonth, decimal needed, DateTimeOffset now)
    {
        if (needed <= 0)
        {
            return null;
        }
        if (limits.DailyBudgetUsd is { } daily && daily - spentToday - Held < needed)
        {
            var midnight = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
            return Denial(DenialReason.DailyBudget, "daily", daily, spentToday, needed, "today; it resets at 00:00 UTC", midnight - now);
        }
        if (limits.MonthlyBudgetUsd is { } monthly && monthly - spentMonth - Held < needed)
        {
            var first = new DateTimeOffset(new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1), TimeSpan.Zero);
            return Denial(DenialReason.MonthlyBudget, "monthly", monthly, spentMonth, needed, "this month; it resets on the 1st at 00:00 UTC", first - now);
        }
        return null;
    }

    private LeaseDenial Denial(DenialReason reason, string period, decimal budget, decimal spent, decimal needed, string when, TimeSpan untilReset)
    {
        var left = Math.Max(0, budget - spent);
        // Held money comes back as running requests finish: worth asking again soon, unless even all of it would not do.
        var soon = Held > 0 && left >= needed;
        return new LeaseDenial
        {
            Reason = reason,
            Message = $"This API key's {period} budget of ${budget:0.##} cannot cover this request's worst-case cost of ${needed:0.####} "
                + $"(its max_tokens at the model's price): ${left:0.####} is left {when}"
                + (Held > 0 ? $" (${Math.Min(Held, left):0.####} of it held by requests still running)." : "."),
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
