using Gateway.Front.Admission;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.Settlement;

/// <summary>
/// Completion's first step: a finished request's usage is charged to its key, trueing up what admission
/// reserved. Pass-through mode (no keys, nothing reserved) registers <see cref="NoSettlement"/>.
/// </summary>
public interface IRequestSettlement
{
    /// <summary>Queues the charge (or lets the reservation's budget hold go); never waits on a grain.</summary>
    ValueTask SettleAsync(KeyDescriptor? key, Reservation? reservation, string requestId, string? sessionId, PricedUsage usage, DateTimeOffset at);
}
