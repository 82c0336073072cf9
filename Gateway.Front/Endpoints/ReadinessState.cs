using Gateway.Grains.Hosting;

namespace Gateway.Front.Endpoints;

/// <summary>
/// Ready once the host has started, until it begins to stop (so a draining pod leaves the load
/// balancer before Kestrel stops taking connections), and, with virtual keys, while the front is
/// connected to the grain cluster that admits its requests.
/// </summary>
public sealed class ReadinessState
{
    private readonly ClusterReadiness? _cluster;
    private volatile bool _started;

    public ReadinessState(IHostApplicationLifetime lifetime, IServiceProvider services)
    {
        _cluster = services.GetService<ClusterReadiness>();
        lifetime.ApplicationStarted.Register(() => _started = true);
        lifetime.ApplicationStopping.Register(() => _started = false);
    }

    public bool IsReady => _started && (_cluster?.IsConnected ?? true);
}
