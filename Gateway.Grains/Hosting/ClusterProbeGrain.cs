using Orleans.Concurrency;

namespace Gateway.Grains.Hosting;

/// <summary>Answers <see cref="IClusterProbeGrain.PingAsync"/> on the silo that receives it; holds nothing.</summary>
[StatelessWorker]
public sealed class ClusterProbeGrain : Grain, IClusterProbeGrain
{
    public Task PingAsync() => Task.CompletedTask;
}
