using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Gateway.Front.Admin;
using Gateway.Grains.Hosting;
using Gateway.Grains.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Tests.Admin;

/// <summary>
/// A minimal web app on a loopback port with only storage and the admin API, wired the way the
/// front wires them (<c>AddGatewayStorage</c>, <c>AddGatewayAdmin</c>, <c>MapAdminEndpoints</c>).
/// Key changes go to a <see cref="RecordingKeyChangeNotifier"/>, or, <c>withSilo</c>, through the real
/// <see cref="GrainKeyChangeNotifier"/> to the grains of a silo hosted in the same process.
/// </summary>
internal sealed class AdminHost : IAsyncDisposable
{
    public const string Token = "test-admin-token-6f1c2a9e4b7d";

    private readonly WebApplication _app;
    private readonly RecordingKeyChangeNotifier? _notifier;

    private AdminHost(WebApplication app, Uri baseAddress, RecordingKeyChangeNotifier? notifier)
    {
        _app = app;
        BaseAddress = baseAddress;
        _notifier = notifier;
    }

    public Uri BaseAddress { get; }

    public RecordingKeyChangeNotifier Notifier => _notifier ?? throw new InvalidOperationException("This host notifies real grains.");

    public IKeyStore Store => _app.Services.GetRequiredService<IKeyStore>();

    /// <summary>The co-hosted silo's grains (<c>withSilo</c> only).</summary>
    public IGrainFactory Grains => _app.Services.GetRequiredService<IGrainFactory>();

    /// <param name="postgres">Connection string; null keeps the stores in memory.</param>
    public static async Task<AdminHost> StartAsync(string? postgres, string token = Token,
        RecordingKeyChangeNotifier? notifier = null, bool withSilo = false)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Testing",
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Postgres:ConnectionString"] = postgres ?? "",
            ["Admin:Token"] = token,
        });
        if (withSilo)
        {
            var (siloPort, gatewayPort) = (FreePort(), FreePort());
            builder.UseOrleans(silo => silo.UseLocalhostClustering(siloPort, gatewayPort, primarySiloEndpoint: null,
                serviceId: "admin-tests", clusterId: $"admin-{Guid.NewGuid():N}"));
            builder.Services.AddGatewayGrainServices(builder.Configuration);
        }
        else
        {
            notifier ??= new RecordingKeyChangeNotifier();
            builder.Services.AddSingleton<IKeyChangeNotifier>(notifier);
        }
        builder.Services.AddGatewayStorage(builder.Configuration);
        builder.Services.AddGatewayAdmin(builder.Configuration);

        var app = builder.Build();
        app.MapAdminEndpoints();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new AdminHost(app, new Uri(address + "/"), notifier);
    }

    /// <summary>A client that presents <paramref name="token"/> as a bearer token (none when null).</summary>
    public HttpClient CreateClient(string? token = Token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
