using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Auth;

public static class UnknownKeyServiceCollectionExtensions
{
    /// <summary>The negative cache and the per-address limit on failed authentications (<see cref="UnknownKeyOptions"/>).</summary>
    public static IServiceCollection AddUnknownKeyDefences(this IServiceCollection services)
    {
        services.AddOptions<UnknownKeyOptions>().BindConfiguration(UnknownKeyOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UnknownKeyOptions>, UnknownKeyOptionsValidator>());
        services.TryAddSingleton<FailedAuthLimiter>();
        return services;
    }
}
