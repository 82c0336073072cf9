using System.Text.RegularExpressions;

namespace Gateway.Tests.Deploy;

/// <summary>
/// The fronts' preStop hook uses the <c>sleep</c> action (on by default from Kubernetes 1.30; the chiseled
/// runtime images have no shell for an exec sleep), so the chart refuses older clusters.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed partial class ChartKubeVersionTests
{
    private static readonly string External = DeployTools.CiValues("external-databases.yaml");

    [Fact]
    public async Task Chart_requires_Kubernetes_1_30_for_the_preStop_sleep_action()
    {
        var chartYaml = await File.ReadAllTextAsync(Path.Combine(DeployTools.ChartDirectory, "Chart.yaml"));
        Assert.Equal(">=1.30.0-0", KubeVersion().Match(chartYaml).Groups[1].Value);

        var chart = await DeployTools.RenderValidAsync("gw", [External]);
        var preStop = Workloads.Container(chart.Get("Deployment", "gw-gateway-front")).GetProperty("lifecycle").GetProperty("preStop");
        Assert.True(preStop.TryGetProperty("sleep", out _));
        Assert.False(preStop.TryGetProperty("exec", out _), "the runtime images have no shell or sleep binary");

        var (old, output) = await DeployTools.HelmAsync("template", "gw", DeployTools.ChartDirectory, "-f", External, "--kube-version", "1.29.9");
        Assert.NotEqual(0, old);
        Assert.Contains("kubeVersion", output, StringComparison.OrdinalIgnoreCase);
        var (current, currentOutput) = await DeployTools.HelmAsync("template", "gw", DeployTools.ChartDirectory, "-f", External, "--kube-version", "1.30.0");
        Assert.True(current == 0, currentOutput);
    }

    [GeneratedRegex(@"(?m)^kubeVersion:\s*""([^""]+)""")]
    private static partial Regex KubeVersion();
}
