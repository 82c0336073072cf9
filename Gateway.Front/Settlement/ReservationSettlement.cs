using Gateway.Front.Admission;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.Settlement;

/// <summary>
/// Queues a reserved request's charge for its key's (and session's) grain through <see cref="UsageSettler"/>;
/// a request with nothing reserved (count_tokens, a refusal before admission) is not charged.
/// </summary>
public sealed class ReservationSettlement(UsageSettler settler) : IRequestSettlement
{
    public ValueTask SettleAsync(KeyDescriptor? key, Reservation? reservation, string requestId, string? sessionId, PricedUsage usage,
        DateTimeOffset at)
    {
        if (key is null || reservation is not { } reserved)
        {
            return ValueTask.CompletedTask;
        }
        return settler.EnqueueAsync(new PendingCharge(key.KeyId, new UsageCharge
        {
            RequestId = requestId,
            Model = usage.Model,
            ReservedInputTokens = reserved.InputTokens,
            ReservedOutputTokens = reserved.OutputTokens,
            Tokens = usage.Tokens,
            SessionId = sessionId,
            ToolCalls = usage.ToolCalls,
            At = at,
            // The hold goes to the grain with the charge (the settler names its activation when it sends it).
            ReservedUsd = reserved.Budget?.Usd ?? 0,
            FrontId = reserved.Budget?.FrontId,
        }, usage.CostUsd, key.TeamId, usage.CacheSavingsUsd) { Hold = reserved.Budget });
    }
}
