using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;

namespace Gateway.Grains.Hosting;

/// <summary>
/// The one place that decides how silos and clients find each other: Redis membership when
/// <c>Cluster:RedisConnectionString</c> is set, localhost clustering otherwise. Both builders read
/// the same <see cref="GatewayClusterOptions"/>, so a silo and a front configured alike always meet.
/// </summary>
public static class GatewayClusteringExtensions
{
    /// <summary>
    /// Clustering, endpoints, failure detection and graceful shutdown for a silo (Gateway.Silo, or a
    /// front in embedded mode). Registers <see cref="ClusterReadiness"/>, which turns true once the silo
    /// is active in the cluster. <paramref name="configuration"/> is the root configuration.
    /// </summary>
    public static ISiloBuilder UseGatewayClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = GatewayClusterOptions.Read(configuration);
        AddShared(silo.Services, options);

        if (options.UsesRedis)
        {
            silo.UseRedisClustering(redis => ConfigureRedis(redis, options));
            ConfigureClusterIds(silo.Services, options);
            if (options.AdvertisedAddress is { } advertised)
            {
                silo.ConfigureEndpoints(advertised, options.SiloPort, options.GatewayPort);
            }
            else
            {
                silo.ConfigureEndpoints(options.SiloPort, options.GatewayPort);
            }
        }
        else
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, primarySiloEndpoint: null, options.ServiceId, options.ClusterId);
        }

        silo.Services.Configure<ClusterMembershipOptions>(membership => ApplyMembership(options.Membership, membership));
        // SIGTERM: the host stops the silo, which hands off its grains and deactivates them (flushing
        // their state) within this budget; Kubernetes' grace period must be longer.
        silo.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        silo.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, SiloReadinessParticipant>());
        return silo;
    }

    /// <summary>
    /// Clustering for a client (a front in client mode, a test): the same membership as the silos, a
    /// gateway list re-read every <c>Cluster:GatewayListRefreshPeriod</c>, and connection attempts
    /// retried until a silo answers, so a client may start before any silo and outlive them all.
    /// Registers <see cref="ClusterReadiness"/>, true while a gateway connection is open.
    /// </summary>
    public static IClientBuilder UseGatewayClustering(this IClientBuilder client, IConfiguration configuration)
    {
        var options = GatewayClusterOptions.Read(configuration);
        AddShared(client.Services, options);

        if (options.UsesRedis)
        {
            client.UseRedisClustering(redis => ConfigureRedis(redis, options));
            ConfigureClusterIds(client.Services, options);
        }
        else
        {
            client.UseLocalhostClustering(options.GatewayPort, options.ServiceId, options.ClusterId);
        }

        client.Services.Configure<GatewayOptions>(gateways => gateways.GatewayListRefreshPeriod = options.GatewayListRefreshPeriod);
        client.UseConnectionRetryFilter<ClusterConnectionRetryFilter>();

        client.Services.TryAddSingleton<ClientConnectionTracker>();
        client.Services.AddSingleton<IClusterConnectionStatusObserver>(sp => sp.GetRequiredService<ClientConnectionTracker>());
        client.Services.AddSingleton<ILifecycleParticipant<IClusterClientLifecycle>>(sp => sp.GetRequiredService<ClientConnectionTracker>());
        return client;
    }

    private static void AddShared(IServiceCollection services, GatewayClusterOptions options)
    {
        services.TryAddSingleton<IOptions<GatewayClusterOptions>>(Options.Create(options));
        services.TryAddSingleton<ClusterReadiness>();
        // A grain's store call failing (Postgres down) reaches the caller as the Npgsql exception with its
        // message, not as "Could not find a codec for type Npgsql.NpgsqlException" (seen in front logs while
        // the reliability suite kept Postgres down): Orleans serializes exceptions only from known namespaces.
        services.Configure<ExceptionSerializationOptions>(o => o.SupportedNamespacePrefixes.Add("Npgsql"));
    }

    private static void ConfigureClusterIds(IServiceCollection services, GatewayClusterOptions options) =>
        services.Configure<ClusterOptions>(cluster =>
        {
            cluster.ClusterId = options.ClusterId;
            cluster.ServiceId = options.ServiceId;
        });

    private static void ConfigureRedis(Orleans.Clustering.Redis.RedisClusteringOptions redis, GatewayClusterOptions options)
    {
        redis.ConfigurationOptions = options.CreateRedisConfiguration();
        redis.EntryExpiry = options.RedisEntryExpiry;
    }

    private static void ApplyMembership(GatewayMembershipOptions from, ClusterMembershipOptions to)
    {
        if (from.ProbeTimeout is { } probeTimeout)
        {
            to.ProbeTimeout = probeTimeout;
        }

        if (from.NumMissedProbesLimit is { } missed)
        {
            to.NumMissedProbesLimit = missed;
        }

        if (from.NumVotesForDeathDeclaration is { } votes)
        {
            to.NumVotesForDeathDeclaration = votes;
        }

        if (from.IAmAliveTablePublishTimeout is { } iAmAlive)
        {
            to.IAmAliveTablePublishTimeout = iAmAlive;
        }

        if (from.TableRefreshTimeout is { } refresh)
        {
            to.TableRefreshTimeout = refresh;
        }

        if (from.DefunctSiloExpiration is { } expiration)
        {
            to.DefunctSiloExpiration = expiration;
        }

        if (from.DefunctSiloCleanupPeriod is { } cleanup)
        {
            to.DefunctSiloCleanupPeriod = cleanup;
        }
    }
}
