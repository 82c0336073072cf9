using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Alerts;

public static class AlertServiceCollectionExtensions
{
    /// <summary>
    /// <see cref="AlertOptions"/> (section <c>Alerts</c>), validated at start. The admin API needs them too (the
    /// webhook host allow-list), so a front in client mode registers them without the loop. Calling it again does nothing.
    /// </summary>
    public static IServiceCollection AddAlertOptions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(AlertOptionsAdded)))
        {
            return services;
        }
        services.AddSingleton<AlertOptionsAdded>();
        services.AddOptions<AlertOptions>().Bind(configuration.GetSection(AlertOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AlertOptions>, AlertOptionsValidator>());
        return services;
    }

    /// <summary>
    /// The silo's budget-alert loop (<see cref="BudgetAlertService"/>) with its evaluator, deliverer and webhook client.
    /// It needs <c>IAlertStore</c> from <c>AddGatewayStorage</c> (Postgres), and stays off without it: the evaluator and
    /// deliverer are made by the loop only when there is a store, so a silo without one still passes DI validation.
    /// </summary>
    public static IServiceCollection AddBudgetAlerts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAlertOptions(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(WebhookSender.ClientName, WebhookSender.Configure)
            .ConfigurePrimaryHttpMessageHandler(sp => WebhookSender.CreateHandler(sp.GetRequiredService<IOptions<AlertOptions>>().Value));
        services.TryAddSingleton<WebhookSender>();
        services.AddHostedService<BudgetAlertService>();
        return services;
    }

    private sealed class AlertOptionsAdded;
}
