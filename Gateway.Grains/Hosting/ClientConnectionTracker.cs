using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Hosting;

/// <summary>
/// Feeds <see cref="ClusterReadiness"/> in a client: connected once the client has started, while at
/// least one gateway connection is open (Orleans reports every opened and closed one). Orleans opens
/// a connection only to send, so when the last one closes this probes the cluster at once (another
/// live silo takes over within milliseconds) and then every <c>Cluster:GatewayListRefreshPeriod</c>
/// while none is open: an idle front finds the silos again by itself.
/// </summary>
internal sealed class ClientConnectionTracker(
    ClusterReadiness readiness,
    IServiceProvider services,
    IOptions<GatewayClusterOptions> options,
    ILogger<ClientConnectionTracker> logger)
    : IClusterConnectionStatusObserver, ILifecycleParticipant<IClusterClientLifecycle>, IDisposable
{
    private static readonly TimeSpan MinimumProbeInterval = TimeSpan.FromMilliseconds(200);
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _connectionLost = new(0, 1);
    private Task? _reconnectLoop;

    public void Participate(IClusterClientLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ClientConnectionTracker), ServiceLifecycleStage.Active, OnStarted, OnStopping);

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        readiness.GatewayCountChanged(currentNumberOfGateways);
        if (connectionRecovered)
        {
            ClusterHostingLog.ClusterConnectionRecovered(logger, currentNumberOfGateways);
        }
    }

    public void NotifyClusterConnectionLost()
    {
        readiness.GatewayCountChanged(0);
        ClusterHostingLog.ClusterConnectionLost(logger);
        if (_connectionLost.CurrentCount == 0)
        {
            try
            {
                _connectionLost.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }

    private Task OnStarted(CancellationToken cancellationToken)
    {
        readiness.ClientStarted();
        ClusterHostingLog.ClientConnected(logger, readiness.ConnectedGateways);
        _reconnectLoop = Task.Run(() => ReconnectWhileDisconnectedAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task OnStopping(CancellationToken cancellationToken)
    {
        readiness.Stopping();
        await _stopping.CancelAsync();
        if (_reconnectLoop is { } loop)
        {
            await loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _connectionLost.Dispose();
    }

    private async Task ReconnectWhileDisconnectedAsync(CancellationToken stopping)
    {
        var period = options.Value.GatewayListRefreshPeriod;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await _connectionLost.WaitAsync(period, stopping);
                if (readiness.ConnectedGateways > 0)
                {
                    continue;
                }
                try
                {
                    var probe = services.GetRequiredService<IClusterClient>().GetGrain<IClusterProbeGrain>(0);
                    await probe.PingAsync().WaitAsync(period + TimeSpan.FromSeconds(5), stopping);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
                {
                    // Still no silo: try again after the next gateway list refresh.
                    ClusterHostingLog.ReconnectProbeFailed(logger, e);
                }
                await Task.Delay(MinimumProbeInterval, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }
}
