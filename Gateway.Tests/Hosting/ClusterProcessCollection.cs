namespace Gateway.Tests.Hosting;

/// <summary>Tests that start gateway OS processes run one at a time: two cores do not take more.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterProcessCollection
{
    public const string Name = "Cluster processes";
}
