using Gateway.Grains.Metrics;
using Prometheus;

namespace Gateway.Silo.Hosting;

/// <summary>
/// <c>GET /metrics</c> on the silo's HTTP port (beside the probes): <see cref="GrainMetrics"/>, process and
/// runtime metrics, and the Orleans and ASP.NET Core meters in <see cref="MetricsExport.ExportedMeters"/>,
/// in the Prometheus text format (<c>text/plain; version=0.0.4</c>).
/// </summary>
public static class SiloMetricsEndpoints
{
    public static IEndpointRouteBuilder MapSiloMetrics(this IEndpointRouteBuilder app)
    {
        MetricsExport.Configure();
        app.MapMetrics("/metrics");
        return app;
    }
}
