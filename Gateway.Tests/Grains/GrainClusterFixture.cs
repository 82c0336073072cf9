using Gateway.Grains.Hosting;
using Gateway.Grains.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Gateway.Tests.Grains;

/// <summary>
/// A real two-silo Orleans cluster in this process, with the grains' real services and the
/// in-memory stores (the ones a local run uses), shared with the tests so they can seed keys.
/// </summary>
public sealed class GrainClusterFixture : IAsyncLifetime
{
    public static readonly InMemoryKeyStore Keys = new();
    public static readonly InMemorySpendStore Spend = new();
    public static readonly InMemorySessionStore Sessions = new();
    public static readonly InMemoryBatchStore Batches = new();

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(2);
        builder.Options.ClusterId = "grain-tests-" + Guid.NewGuid().ToString("N")[..8];
        builder.AddSiloBuilderConfigurator<Configurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    private sealed class Configurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Leases:PersistInterval"] = "00:00:00.100",
                // Short, so a test can watch a silent front's budget holds lapse (the default is 30 s).
                ["Leases:BudgetHoldExpiry"] = "00:00:08",
                ["Leases:BudgetHoldCarryOver"] = "00:00:02",
            }).Build();
            siloBuilder.Services.AddGatewayGrainServices(configuration);
            siloBuilder.Services.AddSingleton<IKeyStore>(Keys);
            siloBuilder.Services.AddSingleton<ISpendStore>(Spend);
            siloBuilder.Services.AddSingleton<ISessionStore>(Sessions);
            siloBuilder.Services.AddSingleton<IBatchStore>(Batches);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class GrainClusterCollection : ICollectionFixture<GrainClusterFixture>
{
    public const string Name = "grain cluster";
}
