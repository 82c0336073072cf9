namespace Gateway.Front.Cors;

public static class BrowserCorsExtensions
{
    /// <summary>
    /// Preflight allows any requested header: browsers ask for <c>anthropic-*</c>, <c>x-stainless-*</c>,
    /// <c>x-api-key</c> and <c>authorization</c>, and the SDKs add new ones every release.
    /// </summary>
    public static IServiceCollection AddBrowserCors(this IServiceCollection services, IConfiguration configuration)
    {
        var origins = configuration.GetSection(BrowserCorsOptions.Section).Get<BrowserCorsOptions>()?.AllowedOrigins ?? [];
        services.AddCors(cors => cors.AddPolicy(BrowserCorsOptions.PolicyName, policy =>
        {
            if (origins.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins(origins);
            }
            policy.AllowAnyHeader()
                .WithMethods("GET", "POST", "HEAD", "OPTIONS", "DELETE")
                .WithExposedHeaders(BrowserCorsOptions.ExposedHeaders)
                .SetPreflightMaxAge(TimeSpan.FromHours(1));
        }));
        return services;
    }
}
