namespace Gateway.Front.Console;

public static class ConsoleServiceCollectionExtensions
{
    /// <summary>The console's options (section <c>Console</c>); <see cref="ConsoleEndpoints.MapConsole"/> serves it.</summary>
    public static IServiceCollection AddGatewayConsole(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ConsoleOptions>().Bind(configuration.GetSection(ConsoleOptions.Section)).ValidateOnStart();
        return services;
    }
}
