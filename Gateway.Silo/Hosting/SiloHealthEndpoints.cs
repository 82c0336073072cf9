using Gateway.Grains.Hosting;

namespace Gateway.Silo.Hosting;

/// <summary>
/// Probes answered locally on the silo's HTTP port. <c>/readyz</c>: 200 only while this silo is active
/// in the cluster, 503 while it joins and from the moment it begins to shut down.
/// </summary>
public static class SiloHealthEndpoints
{
    public static IEndpointRouteBuilder MapSiloHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Json(new { status = "ok" }));
        app.MapGet("/readyz", (ClusterReadiness readiness, ISiloStatusOracle oracle, IHostApplicationLifetime lifetime) =>
        {
            var ready = readiness.IsConnected && !lifetime.ApplicationStopping.IsCancellationRequested;
            var body = new { status = ready ? "ready" : "not ready", silo = oracle.CurrentStatus.ToString() };
            return Results.Json(body, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        return app;
    }
}
