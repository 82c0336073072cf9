using System.Net;
using Gateway.Front.Hosting;
using Gateway.Front.Metrics;
using Gateway.Grains.Metrics;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Metrics;

/// <summary>
/// <see cref="FrontMetrics"/> as Prometheus sees it: a real app on loopback with
/// <see cref="MetricsEndpoints.MapGatewayMetrics"/>, scraped over HTTP. The registry is the process's, shared
/// with every other test: series of this test carry a model and team of its own; unlabelled counters that
/// other tests may move too are checked as at least the increase made here.
/// </summary>
public sealed class FrontMetricsTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Every_front_metric_is_exported_with_its_labels_and_values()
    {
        await using var app = await StartAsync();
        var metrics = new Uri(app.Address, "metrics");
        var model = "claude-metrics-" + Guid.NewGuid().ToString("N")[..8];
        var team = "team-" + Guid.NewGuid().ToString("N")[..8];
        var reason = "test_reason_" + Guid.NewGuid().ToString("N")[..6];
        var provider = "prov" + Guid.NewGuid().ToString("N")[..6];
        var before = await PrometheusText.ScrapeAsync(Http, metrics);

        FrontMetrics.RequestCompleted("messages", model, team, 200, stream: true, latencySeconds: 0.2, timeToFirstByteSeconds: 0.05,
            inputTokens: 1000, outputTokens: 200, cacheWriteTokens: 300, cacheReadTokens: 4000, costUsd: 0.0125m, cacheSavingsUsd: 0.0108m);
        FrontMetrics.RequestCompleted("messages", model, team, 200, stream: true, latencySeconds: 42, timeToFirstByteSeconds: 1.5,
            inputTokens: 10, outputTokens: 5, cacheWriteTokens: 0, cacheReadTokens: 0, costUsd: 0.0001m, cacheSavingsUsd: 0m);
        FrontMetrics.RequestCompleted("messages", model, team, 429, stream: false, latencySeconds: 0.002, timeToFirstByteSeconds: null,
            inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, costUsd: 0m, cacheSavingsUsd: 0m);
        FrontMetrics.Rejected(reason);
        FrontMetrics.Rejected(reason);
        FrontMetrics.UpstreamError(provider, "key-0", "status_529");
        FrontMetrics.UpstreamError(provider, "key-1", "connect");
        FrontMetrics.UpstreamRetry(provider, "status_529");
        FrontMetrics.AuditBufferDepth(17);
        FrontMetrics.AuditRowsWritten(250);
        FrontMetrics.AuditRowsDropped(3);
        FrontMetrics.AuditWriteFailed();
        FrontMetrics.SettlementFailed(12);
        using (FrontMetrics.InFlight("messages_" + provider))
        {
            var during = await PrometheusText.ScrapeAsync(Http, metrics);
            Assert.Equal(1, during.Value(FrontMetrics.RequestsInFlight, ("endpoint", "messages_" + provider)));
        }

        var after = await PrometheusText.ScrapeAsync(Http, metrics);
        Assert.Equal("text/plain", after.ContentType?.MediaType);
        Assert.Contains(after.ContentType!.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        foreach (var name in FrontMetrics.Names)
        {
            Assert.True(after.Types.ContainsKey(name), $"{name} missing from /metrics");
        }
        Assert.Equal("counter", after.Types[FrontMetrics.RequestsTotal]);
        Assert.Equal("histogram", after.Types[FrontMetrics.RequestDurationSeconds]);
        Assert.Equal("histogram", after.Types[FrontMetrics.TimeToFirstByteSeconds]);
        Assert.Equal("gauge", after.Types[FrontMetrics.AuditBufferDepthName]);
        Assert.Equal("gauge", after.Types[FrontMetrics.RequestsInFlight]);

        (string, string)[] Request(string status, string stream) =>
            [("endpoint", "messages"), ("model", model), ("team", team), ("status", status), ("stream", stream)];
        Assert.Equal(2, after.Value(FrontMetrics.RequestsTotal, Request("200", "true")));
        Assert.Equal(1, after.Value(FrontMetrics.RequestsTotal, Request("429", "false")));

        // Duration: 1 ms to 10 min buckets, by endpoint and model.
        Assert.Equal(3, after.Value(FrontMetrics.RequestDurationSeconds + "_count", ("endpoint", "messages"), ("model", model)));
        Assert.Equal(42.202, after.Value(FrontMetrics.RequestDurationSeconds + "_sum", ("endpoint", "messages"), ("model", model)), 6);
        Assert.Equal(0, after.Value(FrontMetrics.RequestDurationSeconds + "_bucket", ("endpoint", "messages"), ("model", model), ("le", "0.001")));
        Assert.Equal(1, after.Value(FrontMetrics.RequestDurationSeconds + "_bucket", ("endpoint", "messages"), ("model", model), ("le", "0.0025")));
        Assert.Equal(2, after.Value(FrontMetrics.RequestDurationSeconds + "_bucket", ("endpoint", "messages"), ("model", model), ("le", "0.25")));
        Assert.Equal(3, after.Value(FrontMetrics.RequestDurationSeconds + "_bucket", ("endpoint", "messages"), ("model", model), ("le", "60")));
        Assert.Equal(3, after.Value(FrontMetrics.RequestDurationSeconds + "_bucket", ("endpoint", "messages"), ("model", model), ("le", "600")));
        Assert.Equal(3, after.Value(FrontMetrics.RequestDurationSeconds + "_bucket", ("endpoint", "messages"), ("model", model), ("le", "+Inf")));

        // Time to first byte only where there was one.
        Assert.Equal(2, after.Value(FrontMetrics.TimeToFirstByteSeconds + "_count", ("model", model)));
        Assert.Equal(1.55, after.Value(FrontMetrics.TimeToFirstByteSeconds + "_sum", ("model", model)), 6);
        Assert.Equal(1, after.Value(FrontMetrics.TimeToFirstByteSeconds + "_bucket", ("model", model), ("le", "0.05")));

        Assert.Equal(1010, after.Value(FrontMetrics.TokensTotal, ("model", model), ("team", team), ("kind", "input")));
        Assert.Equal(205, after.Value(FrontMetrics.TokensTotal, ("model", model), ("team", team), ("kind", "output")));
        Assert.Equal(300, after.Value(FrontMetrics.TokensTotal, ("model", model), ("team", team), ("kind", "cache_write")));
        Assert.Equal(4000, after.Value(FrontMetrics.TokensTotal, ("model", model), ("team", team), ("kind", "cache_read")));
        Assert.Equal(0.0126, after.Value(FrontMetrics.CostUsdTotal, ("model", model), ("team", team)), 9);
        Assert.Equal(0.0108, after.Value(FrontMetrics.CacheSavingsUsdTotal, ("model", model), ("team", team)), 9);

        Assert.Equal(2, after.Value(FrontMetrics.RejectionsTotal, ("reason", reason)));
        Assert.Equal(1, after.Value(FrontMetrics.UpstreamErrorsTotal, ("provider", provider), ("upstream_key", "key-0"), ("kind", "status_529")));
        Assert.Equal(1, after.Value(FrontMetrics.UpstreamErrorsTotal, ("provider", provider), ("upstream_key", "key-1"), ("kind", "connect")));
        Assert.Equal(1, after.Value(FrontMetrics.UpstreamRetriesTotal, ("provider", provider), ("kind", "status_529")));
        Assert.Equal(0, after.Value(FrontMetrics.RequestsInFlight, ("endpoint", "messages_" + provider)));

        // Unlabelled: other tests in this process may add to them as well.
        Assert.True(after.Has(FrontMetrics.AuditBufferDepthName));
        Increased(before, after, FrontMetrics.AuditRowsWrittenTotal, 250);
        Increased(before, after, FrontMetrics.AuditRowsDroppedTotal, 3);
        Increased(before, after, FrontMetrics.AuditWriteFailuresTotal, 1);
        Increased(before, after, FrontMetrics.SettlementFailuresTotal, 1);
        Increased(before, after, FrontMetrics.SettlementFailedChargesTotal, 12);
    }

    [Fact]
    public async Task Label_values_stay_bounded_and_secrets_never_become_labels()
    {
        await using var app = await StartAsync();
        var provider = "p" + Guid.NewGuid().ToString("N")[..6];
        FrontMetrics.UpstreamError(provider, "sk-ant-api03-very-secret-value", "timeout");
        FrontMetrics.RequestCompleted("count_tokens", "", "", 200, false, 0.01, null, 0, 0, 0, 0, 0m, 0m);

        var text = await PrometheusText.ScrapeAsync(Http, new Uri(app.Address, "metrics"));

        Assert.DoesNotContain("very-secret", text.Text);
        var series = Assert.Single(text.Series.Keys, k => k.StartsWith(FrontMetrics.UpstreamErrorsTotal + "{provider=\"" + provider, StringComparison.Ordinal));
        Assert.Matches("upstream_key=\"sha256:[0-9a-f]{8}\"", series);
        Assert.True(text.Has(FrontMetrics.RequestsTotal, ("endpoint", "count_tokens"), ("model", "unknown"), ("team", "none"), ("status", "200"), ("stream", "false")));

        var label = new BoundedLabel(limit: 2);
        Assert.Equal("a", label.Of("a"));
        Assert.Equal("b", label.Of("b"));
        Assert.Equal(BoundedLabel.Overflow, label.Of("c"));
        Assert.Equal("a", label.Of("a"));
        Assert.Equal("unknown", label.Of(null));
        Assert.Equal(BoundedLabel.MaxLength, new BoundedLabel(1).Of(new string('x', 500)).Length);
    }

    [Fact]
    public async Task With_Metrics_Port_set_only_that_port_serves_metrics()
    {
        var metricsPort = ClusterProcesses.FreePort();
        var apiPort = ClusterProcesses.FreePort();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Urls"] = $"http://127.0.0.1:{apiPort};http://127.0.0.1:{metricsPort}",
            [MetricsEndpoints.PortSetting] = metricsPort.ToString(),
        });
        await using var app = builder.Build();
        app.MapGatewayMetrics();
        await app.StartAsync();

        using var onApi = await Http.GetAsync($"http://127.0.0.1:{apiPort}/metrics");
        using var onMetrics = await Http.GetAsync($"http://127.0.0.1:{metricsPort}/metrics");

        Assert.Equal(HttpStatusCode.NotFound, onApi.StatusCode);
        Assert.Equal(HttpStatusCode.OK, onMetrics.StatusCode);
        Assert.Contains(FrontMetrics.RequestsTotal, await onMetrics.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_real_front_serves_metrics_beside_its_API_routes_and_mapping_twice_is_harmless()
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
            ["Upstream:BaseUrl"] = "http://127.0.0.1:9/",
            ["Upstream:ApiKeys:0"] = "sk-upstream-test",
            ["Auth:Mode"] = "PassThrough",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.AddGatewayFront();
        await using var app = builder.Build();
        app.MapGatewayFront();
        app.MapGatewayMetrics();
        app.MapGatewayMetrics();
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First() + "/");

        using (await Http.GetAsync(new Uri(address, "healthz")))
        {
        }
        var text = await PrometheusText.ScrapeAsync(Http, new Uri(address, "metrics"));

        foreach (var name in FrontMetrics.Names)
        {
            Assert.True(text.Types.ContainsKey(name), $"{name} missing from the front's /metrics");
        }
        // ASP.NET Core's server metrics come through the meter adapter, labelled by route template.
        Assert.Contains(text.Series.Keys, k => k.StartsWith("microsoft_aspnetcore_hosting_http_server_request_duration_count{", StringComparison.Ordinal)
            && k.Contains("http_route=\"/healthz\"", StringComparison.Ordinal));
        Assert.True(text.Types.ContainsKey("process_cpu_seconds_total"));
        // Exact running totals, read at the scrape: the bench divides them by requests (bytes and hand-offs per request).
        Assert.True(text.Value("dotnet_gc_allocated_bytes_total") > 0);
        Assert.True(text.Value("dotnet_threadpool_completed_work_items_total") > 0);
    }

    [Fact]
    public void Counting_a_request_in_flight_allocates_nothing_once_its_endpoint_is_known()
    {
        var endpoint = "alloc_" + Guid.NewGuid().ToString("N")[..8];
        using (FrontMetrics.InFlight(endpoint))
        {
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            using var inFlight = FrontMetrics.InFlight(endpoint);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void Increased(PrometheusText before, PrometheusText after, string name, double atLeast) =>
        Assert.True(after.Value(name) - before.Value(name) >= atLeast, $"{name}: {before.Value(name)} → {after.Value(name)}, expected +{atLeast}");

    private static async Task<MetricsApp> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Urls"] = "http://127.0.0.1:0" });
        var app = builder.Build();
        app.MapGatewayMetrics();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new MetricsApp(app, new Uri(address + "/"));
    }

    private sealed record MetricsApp(WebApplication App, Uri Address) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }
}
