using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Grains.Hosting;

/// <summary>
/// Where the cluster is and how this process takes part in it, section <c>Cluster</c>; shared by the
/// silo and the front. Read and validated once, when the host is built, so a bad value stops the
/// process at start with a message naming the key.
/// </summary>
public sealed class GatewayClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>Names one deployment of the cluster; silos and clients meet only within the same id.</summary>
    public string ClusterId { get; set; } = "gateway";

    /// <summary>Names the service across deployments (stays the same through blue/green redeploys).</summary>
    public string ServiceId { get; set; } = "anthropic-gateway";

    /// <summary>A StackExchange.Redis configuration string for membership; empty = localhost clustering (local runs).</summary>
    public string RedisConnectionString { get; set; } = "";

    /// <summary>The Redis database for membership. Used unless it is 0 and the connection string names one itself.</summary>
    public int RedisDatabase { get; set; }

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>The port clients (fronts) connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// The IP address other silos and clients use to reach this silo (Kubernetes: the pod IP). Empty: the
    /// <c>POD_IP</c> environment variable if set, else the address Orleans picks from the host's interfaces.
    /// </summary>
    public string? AdvertisedIPAddress { get; set; }

    /// <summary>How long a silo may take to hand off grains and flush on SIGTERM (<c>HostOptions.ShutdownTimeout</c>).</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Front only: client of separate silos, or silo in-process. See <see cref="GatewayClusterMode"/>.</summary>
    public GatewayClusterMode Mode { get; set; } = GatewayClusterMode.Auto;

    /// <summary>Client only: how often the list of gateways is re-read, so silos that come and go are noticed.</summary>
    public TimeSpan GatewayListRefreshPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Optional expiry of the cluster's membership entry in Redis, for throwaway clusters (tests). It
    /// runs from the table's creation, so never set it for a cluster that lives longer.
    /// </summary>
    public TimeSpan? RedisEntryExpiry { get; set; }

    /// <summary>Failure detection; see <see cref="GatewayMembershipOptions"/>.</summary>
    public GatewayMembershipOptions Membership { get; set; } = new();

    public bool UsesRedis => !string.IsNullOrWhiteSpace(RedisConnectionString);

    /// <summary>The mode a front runs in: <see cref="Mode"/>, with <see cref="GatewayClusterMode.Auto"/> resolved.</summary>
    public GatewayClusterMode EffectiveMode => Mode switch
    {
        GatewayClusterMode.Auto => UsesRedis ? GatewayClusterMode.Client : GatewayClusterMode.Embedded,
        var mode => mode,
    };

    /// <summary>The Redis client settings for membership, with <see cref="RedisDatabase"/> applied.</summary>
    public ConfigurationOptions CreateRedisConfiguration()
    {
        var redis = ConfigurationOptions.Parse(RedisConnectionString);
        if (RedisDatabase != 0 || redis.DefaultDatabase is null)
        {
            redis.DefaultDatabase = RedisDatabase;
        }
        return redis;
    }

    /// <summary>The parsed <see cref="AdvertisedIPAddress"/>, or null to let Orleans pick.</summary>
    public IPAddress? AdvertisedAddress =>
        string.IsNullOrWhiteSpace(AdvertisedIPAddress) ? null : IPAddress.Parse(AdvertisedIPAddress.Trim());

    /// <summary>
    /// Binds <c>Cluster</c> from <paramref name="configuration"/> (the root), fills the advertised address
    /// from <c>POD_IP</c> when unset, and validates. Throws <see cref="OptionsValidationException"/>
    /// (or the binder's <see cref="InvalidOperationException"/> for a value of the wrong type), both
    /// naming the key.
    /// </summary>
    public static GatewayClusterOptions Read(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<GatewayClusterOptions>() ?? new GatewayClusterOptions();
        if (string.IsNullOrWhiteSpace(options.AdvertisedIPAddress) && configuration["POD_IP"] is { Length: > 0 } podIp)
        {
            options.AdvertisedIPAddress = podIp;
        }
        var result = new GatewayClusterOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(GatewayClusterOptions), result.Failures);
        }
        return options;
    }
}
