using Gateway.Front.Auth;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Identity;

public static class IdentityServiceCollectionExtensions
{
    /// <summary>
    /// Sign-in through OpenID Connect (<see cref="IdentityOptions"/>, validated at start). With no issuer
    /// configured only the options are bound: no endpoints, no token check, nothing else changes.
    /// Needs the key store and the key-change notifier (virtual-key mode).
    /// </summary>
    public static IServiceCollection AddGatewayIdentity(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IdentityOptions>, IdentityOptionsValidator>());
        if (configuration.GetSection(IdentityOptions.Section).Get<IdentityOptions>() is not { Enabled: true })
        {
            return services;
        }
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IdentityHttp>();
        services.AddSingleton<OidcIssuers>();
        services.AddSingleton(sp => new IdentityProviderClient(sp.GetRequiredService<IdentityHttp>().Client));
        services.AddSingleton<IdTokenValidator>();
        services.AddSingleton<GatewayTokens>();
        services.AddSingleton<GatewayTokenResolver>();
        services.AddSingleton<IBearerTokenResolver>(sp => sp.GetRequiredService<GatewayTokenResolver>());
        services.AddSingleton<UserSignInService>();
        services.AddSingleton<TokenRefresh>();
        services.AddSingleton<ProviderCallGate>();
        services.AddHostedService<IdentityStartup>();
        return services;
    }
}
