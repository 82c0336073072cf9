namespace Gateway.Grains.Hosting;

/// <summary>How a front joins the cluster (<c>Cluster:Mode</c>). Silos ignore it: a silo is always a silo.</summary>
public enum GatewayClusterMode
{
    /// <summary><see cref="Client"/> when <c>Cluster:RedisConnectionString</c> is set, else <see cref="Embedded"/>.</summary>
    Auto,

    /// <summary>An Orleans client of separate silo processes (production).</summary>
    Client,

    /// <summary>The grains run in the front's own process, as a silo (local runs: one command, one process).</summary>
    Embedded,
}
