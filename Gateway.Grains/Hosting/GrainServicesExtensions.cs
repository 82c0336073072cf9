using Gateway.Grains.Alerts;
using Gateway.Grains.Keys;
using Gateway.Grains.Pricing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Grains.Hosting;

public static class GrainServicesExtensions
{
    /// <summary>What the grains need besides storage: the price table, lease settings, a clock, and the silo's background work (budget alerts).</summary>
    public static IServiceCollection AddGatewayGrainServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPricing(configuration);
        services.AddOptions<KeyRateOptions>().Bind(configuration.GetSection(KeyRateOptions.Section))
            .Validate(o => o.Duration > TimeSpan.Zero && o.Duration <= TimeSpan.FromSeconds(1),
                $"{KeyRateOptions.Section}:Duration must be positive and at most 00:00:01 (it bounds how long a revoked key keeps working).")
            .Validate(o => o.MaxShareOfAvailable is > 0 and <= 1, $"{KeyRateOptions.Section}:MaxShareOfAvailable must be in (0, 1].")
            .Validate(o => o.PersistInterval > TimeSpan.Zero, $"{KeyRateOptions.Section}:PersistInterval must be positive.")
            .Validate(o => o.BudgetHoldExpiry >= o.Duration * 5, $"{KeyRateOptions.Section}:BudgetHoldExpiry must be at least five lease durations.")
            .Validate(o => o.BudgetHoldCarryOver >= o.Duration * 2, $"{KeyRateOptions.Section}:BudgetHoldCarryOver must be at least two lease durations.")
            .ValidateOnStart();
        services.AddOptions<KeyDirectoryOptions>().Bind(configuration.GetSection(KeyDirectoryOptions.Section))
            .Validate(o => o.RecheckInterval >= TimeSpan.FromMilliseconds(100) && o.RecheckInterval <= TimeSpan.FromMinutes(1),
                $"{KeyDirectoryOptions.Section}:RecheckInterval must be between 00:00:00.1 and 00:01:00 (it bounds how long a revoked key keeps working when the admin API's notice is lost).")
            .Validate(o => o.UnknownKeyTime > TimeSpan.Zero && o.UnknownKeyTime <= TimeSpan.FromMinutes(1),
                $"{KeyDirectoryOptions.Section}:UnknownKeyTime must be positive and at most 00:01:00 (a new key waits for it).")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddBudgetAlerts(configuration);
        return services;
    }

    /// <summary>The price table alone (fronts price requests for audit and sessions too).</summary>
    public static IServiceCollection AddPricing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PricingOptions>().Bind(configuration.GetSection(PricingOptions.Section))
            .Validate(o => o.Models.All(m => m.InputPerMTok >= 0 && m.OutputPerMTok >= 0 && !string.IsNullOrWhiteSpace(m.Model)),
                $"{PricingOptions.Section}:Models: every entry needs a Model pattern and non-negative prices.")
            .ValidateOnStart();
        services.TryAddSingleton<PriceTable>();
        return services;
    }
}
