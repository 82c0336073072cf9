using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Hosting;

/// <summary>
/// Marks <see cref="ClusterReadiness"/> connected once the silo reaches the Active stage (it has joined
/// the membership and takes calls) and not connected as soon as shutdown begins: Active is the first
/// stage to stop.
/// </summary>
internal sealed class SiloReadinessParticipant(
    ClusterReadiness readiness,
    ISiloStatusOracle oracle,
    ILogger<SiloReadinessParticipant> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloReadinessParticipant), ServiceLifecycleStage.Active, OnActive, OnStopping);

    private Task OnActive(CancellationToken cancellationToken)
    {
        readiness.SiloActive(() => oracle.CurrentStatus == SiloStatus.Active);
        ClusterHostingLog.SiloActive(logger, oracle.SiloAddress);
        return Task.CompletedTask;
    }

    private Task OnStopping(CancellationToken cancellationToken)
    {
        readiness.Stopping();
        ClusterHostingLog.SiloStopping(logger, oracle.SiloAddress);
        return Task.CompletedTask;
    }
}
