namespace Gateway.Tests.Deploy;

/// <summary>
/// The ways in: a Gateway API HTTPRoute beside the Ingress (only the API paths, to the fronts' API Service,
/// timeouts that outlast a stream: Envoy's default route timeout of 15 s would cut every long stream), and
/// the streaming settings the chart sets per ingress controller.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ChartRouteTests
{
    private static readonly string External = DeployTools.CiValues("external-databases.yaml");

    private const string RouteValues = """
        httpRoute:
          enabled: true
          parentRefs: [{name: public, namespace: gateway-system, sectionName: https}]
          hostnames: [gateway.example.com]
        """;

    [Fact]
    public async Task HttpRoute_sends_only_the_API_paths_to_the_front_service_with_stream_length_timeouts()
    {
        using var values = ValuesFile.Write(RouteValues);
        var chart = await DeployTools.RenderValidAsync("gw", [External, values.Path]);
        var route = chart.Get("HTTPRoute", "gw-gateway");
        Assert.Equal("gateway.networking.k8s.io/v1", route.GetProperty("apiVersion").GetString());
        var spec = route.GetProperty("spec");
        var parent = Assert.Single(spec.GetProperty("parentRefs").EnumerateArray());
        Assert.Equal("public", parent.GetProperty("name").GetString());
        Assert.Equal("https", parent.GetProperty("sectionName").GetString());
        Assert.Equal(["gateway.example.com"], spec.GetProperty("hostnames").EnumerateArray().Select(h => h.GetString()));

        var rule = Assert.Single(spec.GetProperty("rules").EnumerateArray());
        var matches = rule.GetProperty("matches").EnumerateArray()
            .Select(m => $"{m.GetProperty("path").GetProperty("type").GetString()} {m.GetProperty("path").GetProperty("value").GetString()}");
        Assert.Equal(["PathPrefix /v1", "Exact /"], matches);

        // The backend is the API Service's http port, which leads to the fronts' API container port.
        var backend = Assert.Single(rule.GetProperty("backendRefs").EnumerateArray());
        var service = chart.Get("Service", backend.GetProperty("name").GetString()!);
        var port = Assert.Single(service.GetProperty("spec").GetProperty("ports").EnumerateArray(), p => p.GetProperty("port").GetInt32() == backend.GetProperty("port").GetInt32());
        Assert.Equal("http", port.GetProperty("targetPort").GetString());
        Assert.Equal("front", service.GetProperty("spec").GetProperty("selector").GetProperty("app.kubernetes.io/component").GetString());

        var timeouts = rule.GetProperty("timeouts");
        foreach (var name in new[] { "request", "backendRequest" })
        {
            var value = timeouts.GetProperty(name).GetString()!;
            Assert.True(value == "0s" || ParseSeconds(value) >= 900, $"{name} timeout {value} would cut streams of 15 minutes");
        }
        Assert.True(ParseSeconds(timeouts.GetProperty("backendRequest").GetString()!) <= ParseSeconds(timeouts.GetProperty("request").GetString()!),
            "Gateway API: backendRequest must not exceed request");
    }

    [Fact]
    public async Task HttpRoute_is_off_by_default_and_needs_a_parent()
    {
        var chart = await DeployTools.RenderValidAsync("gw", [External]);
        Assert.Empty(chart.OfKind("HTTPRoute"));

        var (code, output) = await DeployTools.HelmAsync("template", "gw", DeployTools.ChartDirectory, "-f", External, "--set", "httpRoute.enabled=true");
        Assert.NotEqual(0, code);
        Assert.Contains("at '/httpRoute/parentRefs'", output);
    }

    [Theory]
    [InlineData("httpRoute.timeouts.request=15", "/httpRoute/timeouts/request")]
    [InlineData("httpRoute.paths[0].pathType=ImplementationSpecific", "/httpRoute/paths/0/pathType")]
    public async Task Schema_rejects_route_values_the_Gateway_API_would_refuse(string set, string path)
    {
        using var values = ValuesFile.Write(RouteValues);
        var (code, output) = await DeployTools.HelmAsync("template", "gw", DeployTools.ChartDirectory, "-f", External, "-f", values.Path, "--set", set);
        Assert.NotEqual(0, code);
        Assert.Contains($"at '{path}'", output);
    }

    [Fact]
    public async Task HAProxy_ingress_gets_a_server_timeout_as_long_as_the_stream_read_timeout()
    {
        var chart = await DeployTools.RenderValidAsync("gw", [External], ["ingress.className=haproxy"]);
        var metadata = chart.Get("Ingress", "gw-gateway").GetProperty("metadata");
        Assert.Equal("900s", Workloads.Annotation(metadata, "haproxy.org/timeout-server"));
        Assert.DoesNotContain(metadata.GetProperty("annotations").EnumerateObject(), a => a.Name.StartsWith("nginx.", StringComparison.Ordinal));
    }

    /// <summary>A Gateway API duration (e.g. 1h30m, 3600s, 500ms) in seconds.</summary>
    private static double ParseSeconds(string duration)
    {
        var total = 0.0;
        foreach (System.Text.RegularExpressions.Match part in System.Text.RegularExpressions.Regex.Matches(duration, @"(\d+)(ms|h|m|s)"))
        {
            var n = double.Parse(part.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            total += part.Groups[2].Value switch { "h" => n * 3600, "m" => n * 60, "s" => n, _ => n / 1000 };
        }
        return total;
    }
}
