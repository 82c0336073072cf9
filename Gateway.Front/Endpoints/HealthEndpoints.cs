
namespace Gateway.Front.Endpoints;

/// <summary>Liveness, readiness and the root probe, all answered locally: never proxied upstream.</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Text("""{"status":"ok"}""", "application/json"));
        app.MapGet("/readyz", (ReadinessState readiness) => readiness.IsReady
            ? Results.Text("""{"status":"ready"}""", "application/json")
            : Results.Text("""{"status":"not ready"}""", "application/json", statusCode: StatusCodes.Status503ServiceUnavailable));
        // Claude Code probes the base URL with HEAD / at start; answer at once.
        app.MapMethods("/", ["GET", "HEAD"], () => Results.Text("""{"service":"anthropic-gateway","status":"ok"}""", "application/json"));
        return app;
    }
}
