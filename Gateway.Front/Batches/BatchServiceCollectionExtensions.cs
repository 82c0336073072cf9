using Microsoft.Extensions.Options;

namespace Gateway.Front.Batches;

public static class BatchServiceCollectionExtensions
{
    /// <summary>Message Batches with virtual keys: options (<c>Batches</c>), the upstream caller, settlement and its sweep.</summary>
    public static IServiceCollection AddGatewayBatches(this IServiceCollection services)
    {
        services.AddOptions<BatchOptions>().BindConfiguration(BatchOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BatchOptions>, BatchOptionsValidator>();
        services.AddSingleton<BatchUpstream>();
        services.AddSingleton<BatchSettlement>();
        services.AddSingleton<BatchSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<BatchSweeper>());
        return services;
    }
}

/// <summary>Names every invalid <c>Batches</c> setting at start-up.</summary>
internal sealed class BatchOptionsValidator : IValidateOptions<BatchOptions>
{
    public ValidateOptionsResult Validate(string? name, BatchOptions options) =>
        options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
