namespace Gateway.Front.Console;

public static class ConsoleServiceCollectionExtensions
{
    /// <summary>The console's options (section <c>Console</c>); <see cref="ConsoleEndpoints.MapConsole"/> serves it.</summary>
    public static IServiceCollection AddGatewayConsole(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ConsoleOptions>().Bind(configuration.GetSection(ConsoleOptions.Section))
            .Validate(o => o.SessionLifetime > TimeSpan.Zero && o.SessionLifetime <= TimeSpan.FromDays(1),
                $"{ConsoleOptions.Section}:SessionLifetime must be positive and at most one day.")
            .ValidateOnStart();
        // The console's OIDC session as an admin API credential (inert unless an identity provider is configured).
        services.AddSingleton<ConsoleSessions>();
        services.AddSingleton<Admin.IAdminSessions>(sp => sp.GetRequiredService<ConsoleSessions>());
        return services;
    }
}
