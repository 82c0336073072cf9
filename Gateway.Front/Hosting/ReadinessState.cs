namespace Gateway.Front.Hosting;

/// <summary>
/// Ready once the host has started and until it begins to stop, so a draining pod leaves the
/// load balancer before Kestrel stops taking connections.
/// </summary>
public sealed class ReadinessState
{
    private volatile bool _ready;

    public ReadinessState(IHostApplicationLifetime lifetime)
    {
        lifetime.ApplicationStarted.Register(() => _ready = true);
        lifetime.ApplicationStopping.Register(() => _ready = false);
    }

    public bool IsReady => _ready;
}
