using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Rewrite;

public static class CacheInjectionServiceCollectionExtensions
{
    /// <summary>
    /// Options (section <c>CacheInjection</c>, validated at start), and the <see cref="CacheInjector"/> and
    /// <see cref="CacheInjection"/> singletons. Wiring it into the request path is the caller's step.
    /// </summary>
    public static IServiceCollection AddCacheInjection(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<CacheInjectionOptions>().Bind(configuration.GetSection(CacheInjectionOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CacheInjectionOptions>, CacheInjectionOptionsValidator>());
        services.TryAddSingleton(provider => new CacheInjector(provider.GetRequiredService<IOptions<CacheInjectionOptions>>().Value));
        services.TryAddSingleton(provider => new CacheInjection(provider.GetRequiredService<CacheInjector>()));
        return services;
    }
}
