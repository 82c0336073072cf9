namespace Gateway.Tests.Deploy;

/// <summary>
/// Orleans ids: two releases sharing one Redis must never meet in one cluster, so unset ids derive from the
/// release's namespace and name; an explicit value still wins (upgrades keep their old ids that way).
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ChartIdentityTests
{
    private static readonly string Values = DeployTools.CiValues("external-databases.yaml");

    [Fact]
    public async Task Two_releases_get_different_cluster_and_service_ids()
    {
        var ids = new List<(string ClusterId, string ServiceId)>();
        foreach (var (release, ns) in new[] { ("gw", "team-a"), ("gw", "team-b"), ("other", "team-a") })
        {
            var yaml = await DeployTools.TemplateAsync(release, [Values], ns: ns);
            var chart = new RenderedChart((await DeployTools.ValidateAsync(yaml)).Objects);
            var config = $"{release}-gateway-config";
            ids.Add((chart.ConfigValue(config, "Cluster__ClusterId"), chart.ConfigValue(config, "Cluster__ServiceId")));
        }

        Assert.Equal(("team-a.gw", "team-a.gw"), ids[0]);
        Assert.Equal(ids.Count, ids.Select(i => i.ClusterId).Distinct().Count());
        Assert.Equal(ids.Count, ids.Select(i => i.ServiceId).Distinct().Count());
    }

    [Fact]
    public async Task Fronts_and_silos_read_the_same_ids()
    {
        var chart = await DeployTools.RenderValidAsync("gw", [Values]);
        foreach (var component in new[] { "front", "silo" })
        {
            var container = Workloads.Container(chart.Get("Deployment", $"gw-gateway-{component}"));
            Assert.Contains(container.GetProperty("envFrom").EnumerateArray(), e => e.GetProperty("configMapRef").GetProperty("name").GetString() == "gw-gateway-config");
            Assert.DoesNotContain("Cluster__ClusterId", Workloads.Env(chart.Get("Deployment", $"gw-gateway-{component}")).Keys);
        }
    }

    [Fact]
    public async Task Explicit_ids_win()
    {
        var chart = await DeployTools.RenderValidAsync("gw", [Values], ["cluster.clusterId=gateway", "cluster.serviceId=anthropic-gateway"]);
        Assert.Equal("gateway", chart.ConfigValue("gw-gateway-config", "Cluster__ClusterId"));
        Assert.Equal("anthropic-gateway", chart.ConfigValue("gw-gateway-config", "Cluster__ServiceId"));
    }
}
