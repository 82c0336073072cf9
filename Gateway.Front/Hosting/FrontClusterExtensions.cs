using Gateway.Grains.Hosting;
using Gateway.Grains.Storage;

namespace Gateway.Front.Hosting;

public static class FrontClusterExtensions
{
    /// <summary>
    /// Joins the front to the grain cluster, per <c>Cluster:Mode</c>:
    /// <list type="bullet">
    /// <item><c>Client</c> (the default when <c>Cluster:RedisConnectionString</c> is set): an Orleans client of
    /// separate silo processes. Hosted services start concurrently, so Kestrel answers <c>/healthz</c> while
    /// the client still waits for a silo; the host reports started (and the front ready) once it has connected.</item>
    /// <item><c>Embedded</c> (the default without Redis: a local run is one process): a silo in this process,
    /// with the grains and their storage.</item>
    /// </list>
    /// Either way <see cref="IGrainFactory"/>, <see cref="IClusterClient"/> and <see cref="ClusterReadiness"/>
    /// come from DI. Bad <c>Cluster:*</c> values throw here, naming the key. Calling it again does nothing.
    /// </summary>
    public static WebApplicationBuilder AddGatewayCluster(this WebApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(ClusterAdded)))
        {
            return builder;
        }
        builder.Services.AddSingleton<ClusterAdded>();
        var configuration = builder.Configuration;
        var options = GatewayClusterOptions.Read(configuration);
        if (options.EffectiveMode == GatewayClusterMode.Client)
        {
            builder.UseOrleansClient(client => client.UseGatewayClustering(configuration));
            builder.Services.Configure<HostOptions>(host => host.ServicesStartConcurrently = true);
        }
        else
        {
            builder.UseOrleans(silo => silo.UseGatewayClustering(configuration));
            builder.Services.AddGatewayGrainServices(configuration);
            builder.Services.AddGatewayStorage(configuration);
        }
        return builder;
    }

    /// <summary>Marks the services as already joined to the cluster (a second UseOrleans would host a second silo).</summary>
    private sealed class ClusterAdded;
}
