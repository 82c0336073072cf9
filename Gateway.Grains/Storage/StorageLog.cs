using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Storage;

/// <summary>Source-generated log methods of the storage layer.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(1, LogLevel.Information, "Applied schema migration {Version}")]
    public static partial void MigrationApplied(ILogger logger, string version);

    [LoggerMessage(2, LogLevel.Information, "Database schema is at {Version} ({Applied} migrations applied now)")]
    public static partial void SchemaCurrent(ILogger logger, string version, int applied);

    [LoggerMessage(3, LogLevel.Warning, "Database has migrations this build does not know (a newer build ran?): {Versions}")]
    public static partial void UnknownMigrations(ILogger logger, string versions);

    [LoggerMessage(4, LogLevel.Warning, "Postgres:ConnectionString is empty: keys and spend are kept in memory and lost when the process exits")]
    public static partial void InMemoryStores(ILogger logger);

    [LoggerMessage(5, LogLevel.Information, "Postgres:MigrateOnStart is false: schema migrations are left to the `migrate` command")]
    public static partial void MigrationsSkipped(ILogger logger);

    [LoggerMessage(6, LogLevel.Error, "No connection string: set {Setting} (environment: Postgres__ConnectionString)")]
    public static partial void NoConnectionString(ILogger logger, string setting);

    [LoggerMessage(7, LogLevel.Error, "Schema migration failed")]
    public static partial void MigrationFailed(ILogger logger, Exception error);
}
