using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Gateway.Grains.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IKeyStore"/> and <see cref="ISpendStore"/>: on Postgres (one shared
    /// <see cref="NpgsqlDataSource"/>) when <c>Postgres:ConnectionString</c> is set, else in memory;
    /// and a start-up step that applies migrations when <c>Postgres:MigrateOnStart</c> (default true).
    /// </summary>
    public static IServiceCollection AddGatewayStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(PostgresOptions.Section);
        services.AddOptions<PostgresOptions>().Bind(section);
        var connectionString = section.Get<PostgresOptions>()?.ConnectionString;

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            services.TryAddSingleton<IKeyStore, InMemoryKeyStore>();
            services.TryAddSingleton<ISpendStore, InMemorySpendStore>();
        }
        else
        {
            ThrowIfInvalid(connectionString);
            services.TryAddSingleton(provider =>
            {
                var builder = new NpgsqlDataSourceBuilder(connectionString) { Name = "gateway" };
                builder.UseLoggerFactory(provider.GetService<ILoggerFactory>());
                return builder.Build();
            });
            services.TryAddSingleton<IKeyStore, PostgresKeyStore>();
            services.TryAddSingleton<ISpendStore, PostgresSpendStore>();
        }
        services.AddHostedService<StorageStartup>();
        return services;
    }

    // Fails at start with the setting's name, not at the first query.
    private static void ThrowIfInvalid(string connectionString)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"{PostgresOptions.Section}:ConnectionString is not a valid Npgsql connection string: {e.Message}", e);
        }
    }
}
