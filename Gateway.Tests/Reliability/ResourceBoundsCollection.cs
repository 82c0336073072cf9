namespace Gateway.Tests.Reliability;

/// <summary>
/// Tests that measure the whole process (GC heap, threads, sockets) run alone, after the parallel ones,
/// so another class's load does not show up in their figures.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ResourceBoundsCollection
{
    public const string Name = "Reliability: process resource bounds";
}
