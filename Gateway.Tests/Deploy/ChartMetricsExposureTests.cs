namespace Gateway.Tests.Deploy;

/// <summary>
/// /metrics stays inside the cluster whatever <c>service.type</c> publishes: it is on its own ClusterIP Service,
/// which the fronts' ServiceMonitor selects.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ChartMetricsExposureTests
{
    [Theory]
    [InlineData("LoadBalancer")]
    [InlineData("NodePort")]
    [InlineData("ClusterIP")]
    public async Task The_API_service_never_publishes_the_metrics_port(string type)
    {
        var chart = await DeployTools.RenderValidAsync("gw", [DeployTools.CiValues("production.yaml")], [$"service.type={type}"]);
        var api = chart.Get("Service", "gw-gateway-front").GetProperty("spec");
        Assert.Equal(type, api.GetProperty("type").GetString());
        Assert.Equal(["http"], api.GetProperty("ports").EnumerateArray().Select(p => p.GetProperty("targetPort").GetString()));

        var metrics = chart.Get("Service", "gw-gateway-front-metrics");
        Assert.Equal("ClusterIP", metrics.GetProperty("spec").GetProperty("type").GetString());
        var port = Assert.Single(metrics.GetProperty("spec").GetProperty("ports").EnumerateArray());
        Assert.Equal("metrics", port.GetProperty("targetPort").GetString());
        Assert.Equal("metrics", port.GetProperty("name").GetString());

        // The ServiceMonitor's selector picks the metrics Service and not the API one, and names its port.
        var monitor = chart.Get("ServiceMonitor", "gw-gateway-front").GetProperty("spec");
        var selector = monitor.GetProperty("selector").GetProperty("matchLabels").EnumerateObject().ToList();
        bool Selects(System.Text.Json.JsonElement service) =>
            selector.All(s => Workloads.Label(service.GetProperty("metadata"), s.Name) == s.Value.GetString());
        Assert.Equal(["gw-gateway-front-metrics"], chart.OfKind("Service").Where(Selects).Select(RenderedChart.Name));
        Assert.Equal("metrics", monitor.GetProperty("endpoints")[0].GetProperty("port").GetString());
    }
}
