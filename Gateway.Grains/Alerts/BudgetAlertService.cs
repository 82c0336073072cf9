using Gateway.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Alerts;

/// <summary>
/// The silo's alert loop: every <see cref="AlertOptions.EvaluateInterval"/>, an evaluation round and then the
/// due deliveries. Runs on every silo (and a front's embedded one); they share the work through Postgres. Off
/// without Postgres (there is no <see cref="IAlertStore"/>) or with <c>Alerts:Enabled=false</c>. A failed round
/// (Postgres away) is logged and the next one tries again: crossings are recomputed from spend, so none is lost.
/// </summary>
internal sealed class BudgetAlertService(IServiceProvider services, IOptions<AlertOptions> options, TimeProvider time,
    ILogger<BudgetAlertService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            AlertLog.Off(logger, $"{AlertOptions.Section}:Enabled is false on this silo");
            return;
        }
        if (services.GetService<IAlertStore>() is not { } store)
        {
            AlertLog.Off(logger, $"{PostgresOptions.Section}:ConnectionString is empty (alerts are kept in the usage database)");
            return;
        }
        var evaluator = ActivatorUtilities.CreateInstance<BudgetAlertEvaluator>(services, store);
        var deliverer = ActivatorUtilities.CreateInstance<AlertDeliverer>(services, store);
        AlertLog.Started(logger, settings.EvaluateInterval);
        using var timer = new PeriodicTimer(settings.EvaluateInterval, time);
        do
        {
            try
            {
                await evaluator.EvaluateAsync(stoppingToken);
                await deliverer.DeliverDueAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested && e is not OutOfMemoryException)
            {
                AlertLog.RoundFailed(logger, e);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
