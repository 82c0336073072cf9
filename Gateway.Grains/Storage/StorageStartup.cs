using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gateway.Grains.Storage;

/// <summary>
/// Brings the schema up to date before anything else starts (in <see cref="StartingAsync"/>, ahead
/// of every hosted service's StartAsync: the silo, Kestrel), or says where keys are kept.
/// A migration failure stops the host: it must not serve against a schema it does not know.
/// </summary>
internal sealed class StorageStartup(IServiceProvider services, IOptions<PostgresOptions> options, ILogger<StorageStartup> logger)
    : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var postgres = options.Value;
        if (string.IsNullOrWhiteSpace(postgres.ConnectionString))
        {
            StorageLog.InMemoryStores(logger);
        }
        else if (postgres.MigrateOnStart)
        {
            await MigrationRunner.ApplyAsync(services.GetRequiredService<NpgsqlDataSource>(), logger, cancellationToken);
        }
        else
        {
            StorageLog.MigrationsSkipped(logger);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
