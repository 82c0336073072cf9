using System.Runtime.InteropServices;
using Gateway.Grains.Storage;

namespace Gateway.Silo.Hosting;

/// <summary>
/// <c>migrate [--Postgres:ConnectionString ...]</c>: reads the connection string the way the silo
/// does (appsettings.json, environment <c>Postgres__ConnectionString</c>, command line), applies the
/// pending migrations and returns the exit code (0 up to date, 1 failed, 2 no connection string).
/// </summary>
internal static class MigrateVerb
{
    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();

        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        return await MigrationCommand.RunAsync(configuration[$"{PostgresOptions.Section}:ConnectionString"] ?? "", stop.Token);
    }
}
