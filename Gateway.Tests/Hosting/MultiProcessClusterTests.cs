using System.Net;
using Gateway.Front.Hosting;
using Gateway.Grains.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Hosting;

/// <summary>Real silo and front processes clustering through a real Redis.</summary>
[Collection(ClusterProcessCollection.Name)]
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class MultiProcessClusterTests
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Two_silos_join_over_Redis_and_the_cluster_outlives_a_killed_silo_a_restart_and_a_SIGTERM()
    {
        await using var cluster = await ClusterProcesses.StartAsync(new ClusterProcessOptions
        {
            Silos = 2,
            Fronts = 1,
            RedisConnectionString = await TestRedis.EndpointAsync(),
        });
        // A slow gateway list refresh: staying connected through the kill below must not wait for one.
        using var client = await cluster.StartClientAsync(new Dictionary<string, string?> { ["Cluster:GatewayListRefreshPeriod"] = "00:00:30" });
        var readiness = client.Services.GetRequiredService<ClusterReadiness>();
        var management = client.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
        Task<bool> ActiveSilosAre(int count) => management.GetHosts(onlyActive: true).WaitAsync(CallTimeout).ContinueWith(t => t.Result.Count == count);

        await Eventually.HoldsAsync("both silos active in the membership", () => ActiveSilosAre(2), TimeSpan.FromSeconds(15), () => cluster.Logs());
        Assert.Equal(HttpStatusCode.OK, await cluster.Fronts[0].ReadyStatusAsync());

        // kill -9: no goodbye. The survivor keeps answering, and votes the dead one out within seconds.
        cluster.Silos[1].Kill();
        var firstCall = await Eventually.HoldsAsync("a grain call after the kill",
            async () => (await management.GetHosts().WaitAsync(CallTimeout)).Count > 0, TimeSpan.FromSeconds(10), () => cluster.Logs());
        Assert.True(firstCall < TimeSpan.FromSeconds(5), $"first successful call {firstCall.TotalSeconds:0.0} s after the kill");
        await Eventually.HoldsAsync("the client connected through the survivor", () => Task.FromResult(readiness.IsConnected), TimeSpan.FromSeconds(3), () => cluster.Logs());
        await Eventually.HoldsAsync("the killed silo declared dead", () => ActiveSilosAre(1), TimeSpan.FromSeconds(20), () => cluster.Logs());
        Assert.Equal(HttpStatusCode.OK, await cluster.Silos[0].ReadyStatusAsync());
        Assert.Null(await cluster.Silos[1].ReadyStatusAsync());

        // A restart on the same ports is a new silo generation: it joins again.
        await cluster.RestartAsync(1);
        await Eventually.HoldsAsync("the restarted silo active", () => ActiveSilosAre(2), TimeSpan.FromSeconds(15), () => cluster.Logs());

        // SIGTERM: a graceful leave, exit code 0, and the membership shows it gone with no probe timeout.
        var exitCode = await cluster.Silos[1].TerminateAsync(TimeSpan.FromSeconds(25));
        Assert.True(exitCode == 0, $"exit code {exitCode}{Environment.NewLine}{cluster.Logs()}");
        Assert.Contains("is shutting down: not ready", cluster.Silos[1].Log);
        await Eventually.HoldsAsync("the terminated silo gone", () => ActiveSilosAre(1), TimeSpan.FromSeconds(5), () => cluster.Logs());
        await client.Services.GetRequiredService<IClusterClient>().GetGrain<IClusterProbeGrain>(0).PingAsync().WaitAsync(CallTimeout);
    }

    [Fact]
    public async Task A_client_front_starts_before_any_silo_serves_health_meanwhile_and_reconnects_when_its_silo_returns()
    {
        await using var cluster = await ClusterProcesses.StartAsync(new ClusterProcessOptions
        {
            Silos = 0,
            Fronts = 0,
            RedisConnectionString = await TestRedis.EndpointAsync(),
        });
        var port = ClusterProcesses.FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(cluster.ClusterSettings);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Urls"] = $"http://127.0.0.1:{port}",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.AddGatewayCluster();
        await using var app = builder.Build();
        app.MapGet("/healthz", () => Results.Ok());
        var readiness = app.Services.GetRequiredService<ClusterReadiness>();

        var starting = app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.HoldsAsync("/healthz while no silo exists", async () => (await http.GetAsync("healthz")).IsSuccessStatusCode, TimeSpan.FromSeconds(10));
        Assert.False(starting.IsCompleted, "the host must still be waiting for the cluster");
        Assert.False(readiness.IsConnected);

        var silo = await cluster.StartProcessAsync(GatewayRole.Silo);
        await starting.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(readiness.IsConnected);
        var probe = app.Services.GetRequiredService<IClusterClient>().GetGrain<IClusterProbeGrain>(0);
        await probe.PingAsync().WaitAsync(CallTimeout);

        silo.Kill();
        await Eventually.HoldsAsync("readiness drops with the only silo", () => Task.FromResult(!readiness.IsConnected), TimeSpan.FromSeconds(10), () => cluster.Logs());

        // No request comes in: the front finds the restarted silo by itself.
        await cluster.RestartAsync(cluster.Processes.ToList().IndexOf(silo));
        await Eventually.HoldsAsync("readiness back with the restarted silo", () => Task.FromResult(readiness.IsConnected), TimeSpan.FromSeconds(15), () => cluster.Logs());
        await Eventually.HoldsAsync("grain calls work again", async () => { await probe.PingAsync().WaitAsync(CallTimeout); return true; }, TimeSpan.FromSeconds(10), () => cluster.Logs());

        await app.StopAsync();
    }
}
