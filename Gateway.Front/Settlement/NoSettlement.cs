using Gateway.Front.Admission;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.Settlement;

/// <summary>Pass-through mode: nothing is charged; a budget hold, should one exist, is let go at once.</summary>
public sealed class NoSettlement : IRequestSettlement
{
    public ValueTask SettleAsync(KeyDescriptor? key, Reservation? reservation, string requestId, string? sessionId, PricedUsage usage,
        DateTimeOffset at)
    {
        reservation?.Budget?.Release();
        return ValueTask.CompletedTask;
    }
}
