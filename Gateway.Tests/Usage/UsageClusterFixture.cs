using Gateway.Grains.Hosting;
using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Orleans.TestingHost;

namespace Gateway.Tests.Usage;

/// <summary>
/// A fresh Postgres database, migrated, with a real two-silo Orleans cluster in this process whose
/// grains use the real Postgres stores (<c>AddGatewayStorage</c>); and the known workload
/// (<see cref="UsageWorkload"/>) settled through those grains before the first test.
/// Sessions flush only on deactivation here (<c>Sessions:FlushInterval</c> is ten minutes), so a
/// row in <c>session_usage</c> proves the deactivation path wrote it.
/// </summary>
public sealed class UsageClusterFixture : IAsyncLifetime
{
    public TestPostgres Database { get; } = new();

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public NpgsqlDataSource DataSource => Database.DataSource;

    public PostgresKeyStore Keys => new(DataSource);

    public PostgresSpendStore Spend => new(DataSource);

    public UsageWorkload Workload { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        await MigrationRunner.ApplyAsync(DataSource);

        var builder = new TestClusterBuilder(2);
        builder.Options.ClusterId = "usage-tests-" + Guid.NewGuid().ToString("N")[..8];
        builder.ConfigureHostConfiguration(configuration => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Postgres:ConnectionString"] = Database.ConnectionString,
            ["Postgres:MigrateOnStart"] = "false",
            ["Sessions:FlushInterval"] = "00:10:00",
        }));
        builder.AddSiloBuilderConfigurator<Configurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();

        Workload = await UsageWorkload.SeedAsync(this);
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
        await Database.DisposeAsync();
    }

    private sealed class Configurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            if (string.IsNullOrEmpty(siloBuilder.Configuration["Postgres:ConnectionString"]))
            {
                throw new InvalidOperationException("The usage test cluster's silos did not get the Postgres connection string.");
            }
            siloBuilder.Services.AddGatewayGrainServices(siloBuilder.Configuration);
            siloBuilder.Services.AddGatewayStorage(siloBuilder.Configuration);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class UsageClusterCollection : ICollectionFixture<UsageClusterFixture>
{
    public const string Name = "usage cluster";
}
