using System.Runtime.CompilerServices;
using Gateway.Grains.Metrics;
using Prometheus;

namespace Gateway.Front.Metrics;

public static class MetricsEndpoints
{
    /// <summary>Configuration key: when set, <c>/metrics</c> answers only on this local port (404 elsewhere).</summary>
    public const string PortSetting = "Metrics:Port";

    private static readonly ConditionalWeakTable<IEndpointRouteBuilder, object> s_mapped = new();
    private static readonly object s_marker = new();

    /// <summary>
    /// <c>GET /metrics</c>: the Prometheus text format (<c>text/plain; version=0.0.4</c>, or OpenMetrics when
    /// asked for) of prometheus-net's default registry: <see cref="FrontMetrics"/>, <see cref="GrainMetrics"/>
    /// (when this front hosts a silo), process and runtime metrics, and the meters in
    /// <see cref="MetricsExport.ExportedMeters"/>. prometheus-net's HTTP middleware (<c>UseHttpMetrics</c>) is
    /// deliberately not used: ASP.NET Core's own <c>http.server.request.duration</c>, exported through the
    /// meter adapter, is labelled by route template, never by raw path.
    /// <para>
    /// The body names teams and their spend: keep it off the public ingress, or set <c>Metrics:Port</c> and
    /// add that port to <c>Urls</c> (e.g. <c>http://0.0.0.0:8080;http://0.0.0.0:9090</c>) so only the
    /// scraper's port serves it. The check is on the connection's local port, not the Host header.
    /// </para>
    /// Idempotent: a second call on the same app maps nothing.
    /// </summary>
    public static IEndpointRouteBuilder MapGatewayMetrics(this IEndpointRouteBuilder endpoints)
    {
        // Mapping /metrics twice on one app would make every scrape an ambiguous-route 500: once is enough.
        if (!s_mapped.TryAdd(endpoints, s_marker))
        {
            return endpoints;
        }
        MetricsExport.Configure();
        FrontMetrics.EnsureRegistered();
        var port = endpoints.ServiceProvider.GetRequiredService<IConfiguration>().GetValue<int?>(PortSetting);
        var metrics = endpoints.MapMetrics("/metrics");
        if (port is { } only)
        {
            metrics.Add(endpoint =>
            {
                var inner = endpoint.RequestDelegate ?? throw new InvalidOperationException("The /metrics endpoint has no request delegate.");
                endpoint.RequestDelegate = context =>
                {
                    if (context.Connection.LocalPort == only)
                    {
                        return inner(context);
                    }
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                };
            });
        }
        return endpoints;
    }
}
