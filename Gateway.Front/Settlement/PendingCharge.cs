using Gateway.Grains.Abstractions;

namespace Gateway.Front.Settlement;

/// <summary>A finished request's usage, waiting to be sent to its key's (and session's) grain.</summary>
public sealed record PendingCharge(string KeyId, UsageCharge Charge, decimal CostUsd, string? TeamId = null, decimal CacheSavingsUsd = 0)
{
    /// <summary>The request's budget hold: it stays declared by this front until the grain has the charge.</summary>
    public Admission.BudgetHold? Hold { get; init; }
}
