namespace Gateway.Tests.Metrics;

/// <summary>
/// Tests that read how the process-wide Prometheus registry moves under their own load run alone, after the
/// parallel ones, so no other class's requests move (or hide) what they measure.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsRegistryCollection
{
    public const string Name = "Metrics: the process-wide registry";
}
