using Gateway.Front.Metrics;

namespace Gateway.Tests.Deploy;

/// <summary>
/// Fronts scale on CPU, and optionally on streams in flight per pod (the fronts' own gauge served as a Pods
/// metric by the custom metrics API): streams mostly wait on the upstream, so CPU alone lags behind load.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ChartAutoscalingTests
{
    private static readonly string External = DeployTools.CiValues("external-databases.yaml");

    [Fact]
    public async Task Cpu_only_by_default()
    {
        var chart = await DeployTools.RenderValidAsync("gw", [External]);
        var metrics = chart.Get("HorizontalPodAutoscaler", "gw-gateway-front").GetProperty("spec").GetProperty("metrics");
        var only = Assert.Single(metrics.EnumerateArray());
        Assert.Equal("cpu", only.GetProperty("resource").GetProperty("name").GetString());
    }

    [Fact]
    public async Task In_flight_streams_scale_fronts_beside_cpu()
    {
        var chart = await DeployTools.RenderValidAsync("gw", [External], ["front.autoscaling.inFlight.enabled=true", "front.autoscaling.inFlight.averageValue=40"]);
        var metrics = chart.Get("HorizontalPodAutoscaler", "gw-gateway-front").GetProperty("spec").GetProperty("metrics").EnumerateArray().ToList();
        Assert.Equal(["Resource", "Pods"], metrics.Select(m => m.GetProperty("type").GetString()));
        var pods = metrics[1].GetProperty("pods");
        Assert.Equal(FrontMetrics.RequestsInFlight, pods.GetProperty("metric").GetProperty("name").GetString());
        Assert.Equal("AverageValue", pods.GetProperty("target").GetProperty("type").GetString());
        Assert.Equal("40", pods.GetProperty("target").GetProperty("averageValue").GetString());
    }

    [Theory]
    [InlineData("front.autoscaling.inFlight.averageValue=0", "/front/autoscaling/inFlight/averageValue")]
    [InlineData("front.autoscaling.inFlight.metricName=in-flight", "/front/autoscaling/inFlight/metricName")]
    [InlineData("front.autoscaling.inFlight.target=5", "/front/autoscaling/inFlight")]
    public async Task Schema_rejects_bad_in_flight_settings(string set, string path)
    {
        var (code, output) = await DeployTools.HelmAsync("template", "gw", DeployTools.ChartDirectory, "-f", External, "--set", set);
        Assert.NotEqual(0, code);
        Assert.Contains($"at '{path}'", output);
    }
}
