using Gateway.Front.Hosting;
using Gateway.Grains.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Gateway.Tests.Hosting;

/// <summary>A bad <c>Cluster:*</c> value stops the process at start, with a message that names the key.</summary>
public sealed class ClusterOptionsValidationTests
{
    public static TheoryData<string, string?, string> BadValues => new()
    {
        { "Cluster:SiloPort", "0", "Cluster:SiloPort" },
        { "Cluster:GatewayPort", "70000", "Cluster:GatewayPort" },
        { "Cluster:GatewayPort", "11111", "Cluster:SiloPort and Cluster:GatewayPort must differ" },
        { "Cluster:SiloPort", "many", "Cluster:SiloPort" },
        { "Cluster:ClusterId", "", "Cluster:ClusterId" },
        { "Cluster:ServiceId", " ", "Cluster:ServiceId" },
        { "Cluster:RedisDatabase", "-1", "Cluster:RedisDatabase" },
        { "Cluster:RedisConnectionString", "127.0.0.1:6379,connectTimeout=soon", "Cluster:RedisConnectionString" },
        { "Cluster:AdvertisedIPAddress", "my-pod", "Cluster:AdvertisedIPAddress" },
        { "Cluster:ShutdownTimeout", "-00:00:01", "Cluster:ShutdownTimeout" },
        { "Cluster:ShutdownTimeout", "two minutes", "Cluster:ShutdownTimeout" },
        { "Cluster:GatewayListRefreshPeriod", "00:00:00", "Cluster:GatewayListRefreshPeriod" },
        { "Cluster:Mode", "Sideways", "Cluster:Mode" },
        { "Cluster:Membership:ProbeTimeout", "00:00:00", "Cluster:Membership:ProbeTimeout" },
        { "Cluster:Membership:NumMissedProbesLimit", "0", "Cluster:Membership:NumMissedProbesLimit" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_silo_host_does_not_build(string key, string? value, string expected)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });
        var error = Assert.ThrowsAny<Exception>(() => builder.UseOrleans(silo => silo.UseGatewayClustering(builder.Configuration)));
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_front_does_not_build(string key, string? value, string expected)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });
        var error = Assert.ThrowsAny<Exception>(() => builder.AddGatewayCluster());
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Defaults_are_valid_and_pick_embedded_without_Redis_and_client_with_it()
    {
        var local = GatewayClusterOptions.Read(new ConfigurationBuilder().Build());
        Assert.Equal(("gateway", "anthropic-gateway", 11111, 30000, TimeSpan.FromMinutes(2)),
            (local.ClusterId, local.ServiceId, local.SiloPort, local.GatewayPort, local.ShutdownTimeout));
        Assert.Equal(GatewayClusterMode.Embedded, local.EffectiveMode);

        var redis = GatewayClusterOptions.Read(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:RedisConnectionString"] = "redis:6379,password=secret",
            ["Cluster:RedisDatabase"] = "3",
            ["POD_IP"] = "10.1.2.3",
        }).Build());
        Assert.Equal(GatewayClusterMode.Client, redis.EffectiveMode);
        Assert.Equal(3, redis.CreateRedisConfiguration().DefaultDatabase);
        Assert.Equal("10.1.2.3", redis.AdvertisedAddress?.ToString());
    }

    [Fact]
    [Trait(TestSuites.Category, TestSuites.Slow)]
    public async Task A_silo_process_with_bad_settings_exits_non_zero_naming_the_keys()
    {
        await using var cluster = await ClusterProcesses.StartAsync(new ClusterProcessOptions
        {
            Silos = 0,
            Fronts = 0,
            RedisConnectionString = "127.0.0.1:1", // never reached: validation fails first
        });
        var silo = await cluster.StartProcessAsync(GatewayRole.Silo, new Dictionary<string, string?>
        {
            ["Cluster:SiloPort"] = "0",
            ["Cluster:AdvertisedIPAddress"] = "my-pod",
        }, waitUntilReady: false);

        var exitCode = await silo.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.True(exitCode is not null and not 0, $"exit code {exitCode?.ToString() ?? "none (still running)"}{Environment.NewLine}{cluster.Logs()}");
        Assert.Contains("Cluster:SiloPort must be a TCP port", silo.Log);
        Assert.Contains("Cluster:AdvertisedIPAddress must be an IP address", silo.Log);
    }
}
