using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Reliability;

/// <summary>
/// A <see cref="FailoverCluster"/> on the shared test Redis (own cluster id) and a fresh database of the
/// shared test Postgres, for one test class: its tests kill and restart gateway processes, never the servers.
/// </summary>
public sealed class SharedServicesCluster : IAsyncLifetime
{
    private TestPostgres? _database;

    public FailoverCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await TestPostgres.CreateAsync();
        Cluster = await FailoverCluster.StartAsync(await TestRedis.EndpointAsync(), _database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
