using Gateway.Grains.Metrics;
using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Metrics;

/// <summary><c>/metrics</c> on a real silo process's HTTP port.</summary>
[Collection(ClusterProcessCollection.Name)]
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class SiloMetricsTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task A_silo_exports_the_grain_metrics_and_Orleans_meters_in_the_Prometheus_text_format()
    {
        await using var cluster = await ClusterProcesses.StartAsync(new ClusterProcessOptions
        {
            Silos = 1,
            Fronts = 0,
            RedisConnectionString = await TestRedis.EndpointAsync(),
        });
        var address = new Uri(cluster.Silos[0].HttpAddress, "metrics");

        // Twice: the second scrape also sees the first one in the HTTP server metrics.
        await PrometheusText.ScrapeAsync(Http, address);
        var text = await PrometheusText.ScrapeAsync(Http, address);

        Assert.Equal("text/plain", text.ContentType?.MediaType);
        Assert.Contains(text.ContentType!.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        foreach (var name in GrainMetrics.Names)
        {
            Assert.True(text.Types.ContainsKey(name), $"{name} missing from the silo's /metrics{Environment.NewLine}{text.Text}");
        }
        Assert.Equal(0, text.Value(GrainMetrics.ActiveSessions));
        Assert.True(text.Has(GrainMetrics.LeasesDeniedTotal, ("reason", "daily_budget")));
        Assert.True(text.Has(GrainMetrics.LeasesDeniedTotal, ("reason", "input_tokens")));

        // Orleans' own meters, through prometheus-net's MeterAdapter, by grain type at most.
        Assert.Contains(text.Types.Keys, k => k.StartsWith("microsoft_orleans_orleans_", StringComparison.Ordinal));
        Assert.Contains(text.Series.Keys, k => k.StartsWith("microsoft_orleans_orleans_catalog_activations{grain_type=", StringComparison.Ordinal));
        // Up-down counters come through the never-expiring bridge: one request in flight (this scrape).
        Assert.Equal(1, text.Value("microsoft_aspnetcore_hosting_http_server_active_requests", ("http_request_method", "GET"), ("url_scheme", "http")));
        Assert.Contains(text.Series.Keys, k => k.StartsWith("microsoft_aspnetcore_hosting_http_server_request_duration_count{", StringComparison.Ordinal)
            && k.Contains("http_route=\"/metrics\"", StringComparison.Ordinal));
        // Nothing labelled by a silo's address (it changes with every restart), and few series in all.
        Assert.DoesNotContain(text.Series.Keys, k => k.Contains("silo=\"", StringComparison.OrdinalIgnoreCase) || k.Contains("destination=\"", StringComparison.OrdinalIgnoreCase));
        Assert.True(text.Series.Count < 1500, $"{text.Series.Count} series");
    }
}
