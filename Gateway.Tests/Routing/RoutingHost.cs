using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Routing;

/// <summary>Fronts configured with <c>Upstream:Providers</c> (and no flat BaseUrl/ApiKeys) on loopback.</summary>
internal static class RoutingHost
{
    /// <summary>Settings for one provider: <c>Upstream:Providers:{index}</c> with keys <c>{Id = id, Secret = secret}</c>.</summary>
    public static Dictionary<string, string?> Provider(int index, string name, Uri baseUrl, params (string Id, string Secret)[] keys)
    {
        var at = $"Upstream:Providers:{index}";
        var settings = new Dictionary<string, string?>
        {
            [$"{at}:Name"] = name,
            [$"{at}:Kind"] = "anthropic",
            [$"{at}:BaseUrl"] = baseUrl.ToString(),
        };
        for (var k = 0; k < keys.Length; k++)
        {
            settings[$"{at}:Keys:{k}:Id"] = keys[k].Id;
            settings[$"{at}:Keys:{k}:Secret"] = keys[k].Secret;
        }
        return settings;
    }

    public static Dictionary<string, string?> Merge(params IDictionary<string, string?>[] parts)
    {
        var all = new Dictionary<string, string?>();
        foreach (var part in parts)
        {
            foreach (var (key, value) in part)
            {
                all[key] = value;
            }
        }
        return all;
    }

    /// <summary>Pass-through mode (no cluster): pools work from the local view only.</summary>
    public static Task<FrontHost> StartPassThroughAsync(params IDictionary<string, string?>[] parts) =>
        FrontHost.StartAsync(Merge([Base(), new Dictionary<string, string?> { ["Auth:Mode"] = "PassThrough" }, .. parts]));

    /// <summary>Virtual keys and an embedded silo, as <see cref="FrontHost.StartWithKeysAsync"/> but with providers.</summary>
    public static Task<FrontHost> StartWithKeysAsync(params IDictionary<string, string?>[] parts) =>
        FrontHost.StartAsync(Merge([Base(), new Dictionary<string, string?>
        {
            ["Auth:Mode"] = "VirtualKeys",
            ["Admin:Token"] = FrontHost.AdminToken,
            ["Cluster:Mode"] = "Embedded",
            ["Cluster:ClusterId"] = "routing-test-" + Guid.NewGuid().ToString("N")[..8],
            ["Cluster:SiloPort"] = FreePort().ToString(),
            ["Cluster:GatewayPort"] = FreePort().ToString(),
            ["Settlement:FlushInterval"] = "00:00:00.020",
        }, .. parts]));

    private static Dictionary<string, string?> Base() => new()
    {
        ["Upstream:RetryBaseDelay"] = "00:00:00.020",
        ["Upstream:RetryMaxDelay"] = "00:00:00.100",
        ["Upstream:ConnectTimeout"] = "00:00:02",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// An address that refuses every connection for as long as the returned socket lives: the port is bound but never
    /// listened on, so no other test's server can take it meanwhile (a merely free port could be reused and answer, or hang).
    /// </summary>
    public static (Socket Holder, Uri Address) DeadEndpoint()
    {
        var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (holder, new Uri($"http://127.0.0.1:{((IPEndPoint)holder.LocalEndPoint!).Port}/"));
    }

    public static string KeyOf(Gateway.FakeUpstream.RecordedRequest request) =>
        request.Headers.TryGetValue("x-api-key", out var key) ? key : "";
}
