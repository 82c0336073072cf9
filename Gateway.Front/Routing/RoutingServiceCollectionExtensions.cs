using Gateway.Front.Upstreams;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Routing;

public static class RoutingServiceCollectionExtensions
{
    /// <summary>Routing rules (validated at start against the configured providers) and the key-pool sync.</summary>
    public static IServiceCollection AddUpstreamRouting(this IServiceCollection services)
    {
        services.AddOptions<RoutingOptions>().BindConfiguration(RoutingOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RoutingOptions>, RoutingOptionsValidator>();
        services.AddSingleton<RouteTable>();
        services.AddSingleton<ModelDirectory>();
        services.AddHostedService<UpstreamKeySync>();
        return services;
    }
}
