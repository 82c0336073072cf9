using Gateway.Front.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real gateway front on a real loopback port, built exactly as Program.cs builds it,
/// with test settings layered over appsettings.json.
/// </summary>
public sealed class FrontHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FrontHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<FrontHost> StartAsync(Uri upstream, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configure = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Upstream:BaseUrl"] = upstream.ToString(),
            ["Upstream:ApiKeys:0"] = "sk-upstream-test",
            ["Upstream:RetryBaseDelay"] = "00:00:00.020",
            ["Upstream:RetryMaxDelay"] = "00:00:00.100",
            ["Upstream:ConnectTimeout"] = "00:00:02",
            // Forwarding tests run without virtual keys; key tests switch them on (StartWithKeysAsync).
            ["Auth:Mode"] = "PassThrough",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        return await StartAsync(all, configure: configure);
    }

    /// <summary>
    /// A front with virtual keys and a silo in its own process (embedded mode) on free ports, keys in
    /// Postgres when a connection string is given, else in memory; admin token <see cref="AdminToken"/>.
    /// </summary>
    /// <param name="configure">Changes to the services after the front's own (e.g. a replaced dependency).</param>
    public static Task<FrontHost> StartWithKeysAsync(Uri upstream, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configure = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Auth:Mode"] = "VirtualKeys",
            ["Admin:Token"] = AdminToken,
            ["Cluster:Mode"] = "Embedded",
            ["Cluster:ClusterId"] = "front-test-" + Guid.NewGuid().ToString("N")[..8],
            ["Cluster:SiloPort"] = FreePort().ToString(),
            ["Cluster:GatewayPort"] = FreePort().ToString(),
            ["Settlement:FlushInterval"] = "00:00:00.020",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        return StartAsync(upstream, all, configure);
    }

    public const string AdminToken = "test-admin-token-0123456789abcdef";

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <param name="environment">The host environment (local-only defaults live in Development).</param>
    /// <param name="configure">Changes to the services after the front's own (e.g. a replaced dependency).</param>
    public static async Task<FrontHost> StartAsync(IDictionary<string, string?> settings, string environment = "Testing",
        Action<IServiceCollection>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FrontServiceCollectionExtensions).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = environment,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings) { ["Urls"] = "http://127.0.0.1:0" });
        builder.AddGatewayFront();
        configure?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapGatewayFront();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            // A front refused at start-up (a test of its settings) must not leave its silo's ports taken.
            await app.DisposeAsync();
            throw;
        }
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        var address = addresses.FirstOrDefault(a => a.StartsWith("https", StringComparison.Ordinal)) ?? addresses.First();
        return new FrontHost(app, new Uri(address.Replace("[::]", "127.0.0.1") + "/"));
    }

    public HttpClient CreateAdminClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
        return client;
    }

    public HttpClient CreateClient(string apiKey = "sk-client-test")
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
