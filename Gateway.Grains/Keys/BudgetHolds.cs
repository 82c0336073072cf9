using Gateway.Grains.Abstractions;

namespace Gateway.Grains.Keys;

/// <summary>
/// The USD a key's grain holds against its budgets for money that may still be spent: the slices granted
/// to fronts (which admit locally while a slice covers a request's worst case) and the worst cases of
/// admitted requests still running. Headroom is budget − spent − held, so requests running at once can
/// never together spend past the budget; settlement releases each request's hold and charges its real cost.
/// <para>
/// Kept in memory, one set per activation (<see cref="Epoch"/>). After a silo kill the new activation
/// starts with nothing held: each front, on its next lease call (at most half a lease period later while
/// it has requests running), declares the worst cases it still has running and they are held again; the
/// slices the dead activation granted are dropped by the fronts once they see the new epoch, and never
/// released twice. What is lost is bounded by what fronts admit before that first call (≤ one lease each).
/// </para>
/// </summary>
internal sealed class BudgetHolds
{
    public Guid Epoch { get; } = Guid.NewGuid();

    public decimal Held { get; private set; }

    /// <summary>Only keys with a budget pay for this bookkeeping.</summary>
    public static bool Applies(KeyLimits limits) => limits.DailyBudgetUsd is not null || limits.MonthlyBudgetUsd is not null;

    /// <summary>Takes back a front's unused slice; or, from a front that last dealt with another activation, holds its running requests again.</summary>
    public void TakeBack(LeaseRequest request)
    {
        if (request.BudgetEpoch == Epoch)
        {
            Release(request.ReturnedUsd);
        }
        else if (request.InFlightUsd > 0)
        {
            Held += request.InFlightUsd;
        }
    }

    /// <summary>A settled request's hold; only this activation's holds are released.</summary>
    public void Release(decimal usd, Guid epoch)
    {
        if (epoch == Epoch)
        {
            Release(usd);
        }
    }

    private void Release(decimal usd) => Held = Math.Max(0, Held - Math.Max(0, usd));

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
    public decimal Grant(decimal headroom, decimal wanted, decimal minimum, double share)
    {
        var slice = Math.Max(minimum, Math.Min(wanted, Math.Max(0, headroom) * (decimal)share));
        slice = Math.Min(slice, Math.Max(0, headroom));
        Held += slice;
        return slice;
    }
}
