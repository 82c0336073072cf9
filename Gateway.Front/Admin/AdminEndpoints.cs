using Microsoft.Extensions.Options;

namespace Gateway.Front.Admin;

/// <summary>
/// The admin API: teams and virtual keys (create, list, update, rotate, revoke), behind the admin
/// token. Recipes: <c>docs/admin-api.md</c>. Needs <c>AddGatewayStorage</c> and <c>AddGatewayAdmin</c>.
/// </summary>
public static class AdminEndpoints
{
    public const string Prefix = "/admin";

    public static RouteGroupBuilder MapAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var services = endpoints.ServiceProvider;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminEndpoints).FullName!);
        if (string.IsNullOrEmpty(services.GetRequiredService<IOptions<AdminOptions>>().Value.Token))
        {
            AdminLog.Disabled(logger, $"{AdminOptions.Section}:Token");
        }
        else
        {
            AdminLog.Enabled(logger);
        }

        // Endpoints marked LeadAccess.Allowed are open to a team lead's console session, scoped by CallerScope.
        var admin = endpoints.MapGroup(Prefix).AddEndpointFilter<AdminAuthFilter>();

        admin.MapPost("/teams", TeamHandlers.CreateAsync);
        admin.MapGet("/teams", TeamHandlers.ListAsync).WithMetadata(LeadAccess.Allowed);
        admin.MapGet("/teams/{id}", TeamHandlers.GetAsync).WithMetadata(LeadAccess.Allowed);
        admin.MapPatch("/teams/{id}", TeamHandlers.UpdateAsync);

        admin.MapPost("/keys", KeyHandlers.CreateAsync).WithMetadata(LeadAccess.Allowed);
        admin.MapGet("/keys", KeyHandlers.ListAsync).WithMetadata(LeadAccess.Allowed);
        admin.MapGet("/keys/{id}", KeyHandlers.GetAsync).WithMetadata(LeadAccess.Allowed);
        admin.MapGet("/keys/{id}/usage", KeyHandlers.UsageAsync).WithMetadata(LeadAccess.Allowed);
        admin.MapPatch("/keys/{id}", KeyHandlers.UpdateAsync).WithMetadata(LeadAccess.Allowed);
        admin.MapPost("/keys/{id}/rotate", KeyHandlers.RotateAsync).WithMetadata(LeadAccess.Allowed);
        admin.MapPost("/keys/{id}/revoke", KeyHandlers.RevokeAsync).WithMetadata(LeadAccess.Allowed);
        admin.MapDelete("/keys/{id}", KeyHandlers.RevokeAsync).WithMetadata(LeadAccess.Allowed);

        admin.MapGet("/billing/export", BillingHandlers.ExportAsync);

        // People signed in through OIDC (user keys); their limits change through PATCH /keys/{id}.
        admin.MapGet("/users", UserHandlers.ListAsync).WithMetadata(LeadAccess.Allowed);
        // Usage reports for the web console (read-only, allow-listed views, bounded days and rows).
        admin.MapGet("/reports", ReportHandlers.List).WithMetadata(LeadAccess.Allowed);
        admin.MapGet("/reports/{view}", ReportHandlers.ReadAsync).WithMetadata(LeadAccess.Allowed);
        // Budget alerts (issue 18): rules and their recorded crossings.
        admin.MapPost("/alerts", AlertHandlers.CreateAsync).WithMetadata(LeadAccess.Allowed);
        admin.MapGet("/alerts", AlertHandlers.ListAsync).WithMetadata(LeadAccess.Allowed);
        admin.MapGet("/alerts/{id}", AlertHandlers.GetAsync).WithMetadata(LeadAccess.Allowed);
        admin.MapPatch("/alerts/{id}", AlertHandlers.UpdateAsync).WithMetadata(LeadAccess.Allowed);
        admin.MapDelete("/alerts/{id}", AlertHandlers.DeleteAsync).WithMetadata(LeadAccess.Allowed);
        admin.MapGet("/alerts/{id}/deliveries", AlertHandlers.DeliveriesAsync).WithMetadata(LeadAccess.Allowed);

        // Anything else under /admin: an Anthropic-shaped 404 (after authentication), never the upstream.
        admin.Map("/{**rest}", (HttpContext context) =>
            AdminResults.NotFound($"No such admin endpoint: {context.Request.Method} {context.Request.Path}"));
        return admin;
    }
}
