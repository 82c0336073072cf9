using Gateway.Grains.Abstractions;

namespace Gateway.Front.Admin;

/// <summary>
/// Drops the key directory's cached answer for the hash and makes the key's grain reload from the
/// store: a revoked key stops working, and a changed limit applies, within one grain round trip.
/// </summary>
public sealed class GrainKeyChangeNotifier(IGrainFactory grains) : IKeyChangeNotifier
{
    public Task KeyChangedAsync(string keyId, string secretHash, CancellationToken cancellationToken) =>
        Task.WhenAll(
                grains.GetGrain<IKeyDirectoryGrain>(secretHash).InvalidateAsync(),
                grains.GetGrain<IApiKeyGrain>(keyId).RefreshAsync())
            .WaitAsync(cancellationToken);
}
