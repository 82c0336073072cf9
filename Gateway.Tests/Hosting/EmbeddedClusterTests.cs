using System.Net;
using Gateway.Front.Hosting;
using Gateway.Grains.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Hosting;

/// <summary>A local run: no Redis configured, so the front hosts the grains in its own process.</summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class EmbeddedClusterTests
{
    [Fact]
    public async Task A_front_without_Redis_hosts_a_silo_in_process_is_ready_and_calls_grains()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FrontServiceCollectionExtensions).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Testing",
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Cluster:SiloPort"] = ClusterProcesses.FreePort().ToString(),
            ["Cluster:GatewayPort"] = ClusterProcesses.FreePort().ToString(),
            // Never called: the test is about the cluster, and a front outside Development needs an upstream to start.
            ["Upstream:BaseUrl"] = "http://127.0.0.1:9",
            ["Upstream:ApiKeys:0"] = "sk-unused",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.AddGatewayFront();
        builder.AddGatewayCluster(); // a no-op if AddGatewayFront already joined the cluster
        await using var app = builder.Build();
        app.MapGatewayFront();
        await app.StartAsync();

        var options = app.Services.GetRequiredService<IOptions<GatewayClusterOptions>>().Value;
        Assert.Equal(GatewayClusterMode.Embedded, options.EffectiveMode);
        Assert.True(app.Services.GetRequiredService<ClusterReadiness>().IsConnected);

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address + "/") };
        using var ready = await http.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        var grains = app.Services.GetRequiredService<IGrainFactory>();
        await grains.GetGrain<IClusterProbeGrain>(0).PingAsync();
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        Assert.Single(hosts);
        Assert.NotNull(app.Services.GetRequiredService<IClusterClient>());

        await app.StopAsync();
        Assert.False(app.Services.GetRequiredService<ClusterReadiness>().IsConnected);
    }
}
