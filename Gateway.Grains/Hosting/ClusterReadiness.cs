namespace Gateway.Grains.Hosting;

/// <summary>
/// Whether this process can reach grains now, for readiness probes. In a silo (and an embedded
/// front): the silo has become active in the cluster and the membership still counts it as active.
/// In a client front: the client has connected and holds at least one open gateway connection;
/// it drops to false when the last silo it knows vanishes and comes back when one is reached again.
/// Registered as a singleton by <c>UseGatewayClustering</c>.
/// </summary>
public sealed class ClusterReadiness
{
    private volatile bool _started;
    private volatile bool _countsGateways;
    private volatile Func<bool>? _stillActive;
    private int _connectedGateways;

    public bool IsConnected =>
        _started
        && (!_countsGateways || Volatile.Read(ref _connectedGateways) > 0)
        && (_stillActive?.Invoke() ?? true);

    /// <summary>Open connections to silo gateways (clients only; 0 in a silo).</summary>
    public int ConnectedGateways => Volatile.Read(ref _connectedGateways);

    internal void SiloActive(Func<bool> stillActive)
    {
        _stillActive = stillActive;
        _started = true;
    }

    internal void ClientStarted()
    {
        _countsGateways = true;
        _started = true;
    }

    internal void Stopping() => _started = false;

    internal void GatewayCountChanged(int current) => Volatile.Write(ref _connectedGateways, current);
}
