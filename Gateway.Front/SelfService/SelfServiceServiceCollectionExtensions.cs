using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.SelfService;

public static class SelfServiceServiceCollectionExtensions
{
    /// <summary>
    /// Options (section <c>SelfService</c>, validated at start) and the per-key cache behind <c>GET /gateway/usage</c>.
    /// Needs <c>IGrainFactory</c> and an <c>ICallerAuthentication</c> with virtual keys.
    /// </summary>
    public static IServiceCollection AddSelfService(this IServiceCollection services)
    {
        services.AddOptions<SelfServiceOptions>().BindConfiguration(SelfServiceOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SelfServiceOptions>, SelfServiceOptionsValidator>());
        services.TryAddSingleton<KeyStandingCache>();
        return services;
    }
}
