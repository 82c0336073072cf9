using System.Net;
using System.Net.Sockets;
using Gateway.Front.Admin;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Tests.Security;

/// <summary>
/// A real front with virtual keys and an embedded silo, built as Program.cs builds it, for the
/// authentication tests: the environment is chosen (local-only defaults live in Development), and the
/// admin API's change notice to the cluster can be replaced (to lose it on purpose).
/// </summary>
internal sealed class AuthSecurityHost : IAsyncDisposable
{
    public const string AdminToken = FrontHost.AdminToken;

    private readonly FrontHost _front;

    private AuthSecurityHost(FrontHost front) => _front = front;

    public Uri BaseAddress => _front.BaseAddress;

    public IServiceProvider Services => _front.Services;

    /// <param name="upstream">The upstream; null configures none (only Development then starts the built-in fake).</param>
    /// <param name="postgres">Keys in this database; null keeps them in memory.</param>
    /// <param name="notifier">Replaces the admin API's notice to the cluster.</param>
    public static async Task<AuthSecurityHost> StartAsync(Uri? upstream, string? postgres, IDictionary<string, string?>? settings = null,
        IKeyChangeNotifier? notifier = null, string environment = "Testing")
    {
        var all = new Dictionary<string, string?>
        {
            ["Auth:Mode"] = "VirtualKeys",
            ["Admin:Token"] = AdminToken,
            ["Cluster:Mode"] = "Embedded",
            ["Cluster:ClusterId"] = "auth-sec-" + Guid.NewGuid().ToString("N")[..8],
            ["Cluster:SiloPort"] = ClusterProcesses.FreePort().ToString(),
            ["Cluster:GatewayPort"] = ClusterProcesses.FreePort().ToString(),
            ["Settlement:FlushInterval"] = "00:00:00.020",
            ["Audit:FlushInterval"] = "00:00:00.050",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (upstream is not null)
        {
            all["Upstream:BaseUrl"] = upstream.ToString();
            all["Upstream:ApiKeys:0"] = "sk-upstream-test";
            all["Upstream:RetryBaseDelay"] = "00:00:00.020";
            all["Upstream:RetryMaxDelay"] = "00:00:00.100";
        }
        if (postgres is not null)
        {
            all["Postgres:ConnectionString"] = postgres;
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        Action<IServiceCollection>? replaceNotifier = notifier is null ? null : services =>
        {
            services.RemoveAll<IKeyChangeNotifier>();
            services.AddSingleton(notifier);
        };
        return new AuthSecurityHost(await FrontHost.StartAsync(all, environment, replaceNotifier));
    }

    public HttpClient CreateAdminClient() => _front.CreateAdminClient();

    /// <param name="from">The client's source address on loopback (e.g. 127.0.0.2), to be another client address.</param>
    public HttpClient CreateClient(string apiKey, IPAddress? from = null)
    {
        var handler = new SocketsHttpHandler { UseProxy = false };
        if (from is not null)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(from, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return client;
    }

    public ValueTask DisposeAsync() => _front.DisposeAsync();
}

/// <summary>The admin API's notice to the cluster, lost every time (as if the silo never answered).</summary>
internal sealed class LostKeyChangeNotifier : IKeyChangeNotifier
{
    private int _lost;

    public int Lost => Volatile.Read(ref _lost);

    public Task KeyChangedAsync(string keyId, string secretHash, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _lost);
        return Task.FromException(new TimeoutException("the notice was lost (test)"));
    }
}
