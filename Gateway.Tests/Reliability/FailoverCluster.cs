using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;
using Npgsql;

namespace Gateway.Tests.Reliability;

/// <summary>
/// The cluster the process-failure scenarios break: 2 silos and 2 fronts (real processes) on Redis
/// clustering and Postgres, virtual keys, a fake upstream, and an admin client. The settlement and
/// audit intervals are the shipped defaults, so the loss bounds measured hold for a default deployment.
/// </summary>
public sealed class FailoverCluster : IAsyncDisposable
{
    private FakeUpstreamServer _upstream = null!;

    public ClusterProcesses Processes { get; private set; } = null!;

    /// <summary>The usage database the processes write (the test reads it).</summary>
    public NpgsqlDataSource Database { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public IReadOnlyList<Uri> FrontAddresses => Processes.Fronts.Select(f => f.HttpAddress).ToList();

    /// <summary>Connections the fronts hold open to the fake upstream: one per stream it is serving.</summary>
    public int UpstreamOpenConnections => _upstream.State.OpenConnections;

    public static async Task<FailoverCluster> StartAsync(string redis, string postgres, IReadOnlyDictionary<string, string?>? frontSettings = null)
    {
        var cluster = new FailoverCluster();
        try
        {
            cluster._upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { MaxRecordedRequests = 0 });
            cluster.Database = NpgsqlDataSource.Create(postgres);
            var settings = new Dictionary<string, string?>
            {
                ["Upstream:BaseUrl"] = cluster._upstream.BaseAddress.ToString(),
                ["Upstream:ApiKeys:0"] = "sk-upstream",
                ["Auth:Mode"] = "VirtualKeys",
                ["Admin:Token"] = FrontHost.AdminToken,
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Gateway"] = "Information",
            };
            foreach (var (key, value) in frontSettings ?? new Dictionary<string, string?>())
            {
                settings[key] = value;
            }
            cluster.Processes = await ClusterProcesses.StartAsync(new ClusterProcessOptions
            {
                Silos = 2,
                Fronts = 2,
                RedisConnectionString = redis,
                PostgresConnectionString = postgres,
                ReadyTimeout = TimeSpan.FromSeconds(90),
                SiloSettings = new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" },
                FrontSettings = settings,
            });
            cluster.Admin = new HttpClient { BaseAddress = cluster.Processes.Fronts[0].HttpAddress };
            cluster.Admin.DefaultRequestHeaders.Authorization = new("Bearer", FrontHost.AdminToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Index in <see cref="ClusterProcesses.Processes"/> of a front (silos come first).</summary>
    public int FrontIndex(int front) => Processes.Silos.Count + front;

    public async ValueTask DisposeAsync()
    {
        Admin?.Dispose();
        if (Processes is not null)
        {
            await Processes.DisposeAsync();
        }
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
        if (_upstream is not null)
        {
            await _upstream.DisposeAsync();
        }
    }
}
