using Gateway.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Upstreams;

/// <summary>
/// Keeps every pooled key's local view in step with its <see cref="IUpstreamKeyGrain"/>, off the
/// response path: each <c>Upstream:Pool:SyncInterval</c> it sends what this front observed since the
/// last round (coalesced to one report per key) and takes the cluster's merged view back; a key with
/// nothing to report is just refreshed. A cool-down starts a round at once (<see cref="UpstreamSyncNudge"/>),
/// so the other fronts hear of a 429 within one of their intervals instead of two. Without a cluster (<c>Auth:Mode=PassThrough</c>) it does nothing
/// and pools work from the local view alone.
/// </summary>
internal sealed partial class UpstreamKeySync(UpstreamDirectory directory, IOptions<UpstreamOptions> options, IServiceProvider services,
    ILogger<UpstreamKeySync> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (services.GetService<IGrainFactory>() is not { } grains)
        {
            return;
        }
        var keys = directory.Providers.SelectMany(p => p.Pool.Keys).ToArray();
        if (keys.Length == 0)
        {
            // The embedded fake's key is added at start: look again once the host is up.
            await Task.Delay(options.Value.Pool.SyncInterval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        var interval = options.Value.Pool.SyncInterval;
        // A storm of 429s nudges on every one: rounds stay at least this far apart.
        var minimumGap = interval / 10;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await directory.SyncNudge.WaitAsync(interval, stoppingToken);
                keys = directory.Providers.SelectMany(p => p.Pool.Keys).ToArray();
                await Task.WhenAll(keys.Select(key => SyncAsync(grains, key)));
                await Task.Delay(minimumGap, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One round for one key; failures are logged and retried on the next round (the report is kept).</summary>
    internal async Task SyncAsync(IGrainFactory grains, PooledKey key)
    {
        var report = key.TakePending();
        try
        {
            var grain = grains.GetGrain<IUpstreamKeyGrain>(key.GrainKey);
            var cluster = report is null ? await grain.GetAsync() : await grain.ReportAsync(report);
            key.Apply(cluster);
        }
        catch (Exception e)
        {
            if (report is not null)
            {
                key.Requeue(report);
            }
            SyncFailed(logger, key.GrainKey, e.Message);
        }
    }

    [LoggerMessage(20, LogLevel.Debug, "Upstream key {Key}: sync with its grain failed ({Error}); retrying next round")]
    private static partial void SyncFailed(ILogger logger, string key, string error);
}
