using Gateway.Grains.Alerts;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Admin;

public static class AdminServiceCollectionExtensions
{
    /// <summary>
    /// Options (section <c>Admin</c>, validated at start) and the notifier that tells the cluster about
    /// key changes (<see cref="GrainKeyChangeNotifier"/>, needing <c>IGrainFactory</c> from the Orleans
    /// client or co-hosted silo). The admin API also needs <c>IKeyStore</c>: <c>AddGatewayStorage</c>.
    /// </summary>
    public static IServiceCollection AddGatewayAdmin(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AdminOptions>().Bind(configuration.GetSection(AdminOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>());
        services.TryAddSingleton<IKeyChangeNotifier, GrainKeyChangeNotifier>();
        services.TryAddSingleton<KeyChangePublisher>();
        // Budget alerts: the webhook host allow-list the admin API checks rules against.
        services.AddAlertOptions(configuration);
        return services;
    }
}
