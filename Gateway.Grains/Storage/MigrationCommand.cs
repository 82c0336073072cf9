using Microsoft.Extensions.Logging;
using Npgsql;

namespace Gateway.Grains.Storage;

/// <summary>
/// The <c>migrate</c> command-line verb (<c>dotnet Gateway.Silo.dll migrate</c>, the Helm hook Job):
/// applies pending migrations, logs each version to the console, returns a process exit code.
/// </summary>
public static class MigrationCommand
{
    /// <summary>0: schema up to date; 1: migration failed; 2: no connection string.</summary>
    public static async Task<int> RunAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.UseUtcTimestamp = true;
        }));
        var logger = loggerFactory.CreateLogger(typeof(MigrationCommand).FullName!);

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            StorageLog.NoConnectionString(logger, $"{PostgresOptions.Section}:ConnectionString");
            return 2;
        }
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await MigrationRunner.ApplyAsync(dataSource, logger, cancellationToken);
            return 0;
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException or InvalidOperationException or OperationCanceledException)
        {
            StorageLog.MigrationFailed(logger, e);
            return 1;
        }
    }
}
