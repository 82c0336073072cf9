using Gateway.Grains.Sessions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Gateway.Grains.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IKeyStore"/> (and <see cref="IUserStore"/>), <see cref="ISpendStore"/> and <see cref="ISessionStore"/>: on
    /// Postgres (one shared <see cref="NpgsqlDataSource"/>, plus <see cref="IBillingReports"/>, <see cref="IUsageReports"/> and
    /// <see cref="IAlertStore"/>) when
    /// <c>Postgres:ConnectionString</c> is set, else in memory; session flush options (<c>Sessions</c>);
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
            services.TryAddSingleton<ISessionStore, InMemorySessionStore>();
            services.TryAddSingleton<IBatchStore, InMemoryBatchStore>();
            // User keys are key-store rows: the in-memory key store holds them too (a replaced key store must bring its own).
            services.TryAddSingleton(provider => provider.GetRequiredService<IKeyStore>() as IUserStore
                ?? throw new InvalidOperationException($"The registered {nameof(IKeyStore)} does not store users: register an {nameof(IUserStore)}."));
            // No IBillingReports, IUsageReports or IAlertStore: the billing export, reports and alerts answer that they need the usage database.
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
            services.TryAddSingleton<ISessionStore, PostgresSessionStore>();
            services.TryAddSingleton<IBatchStore, PostgresBatchStore>();
            services.TryAddSingleton<IUserStore, PostgresUserStore>();
            services.TryAddSingleton<IBillingReports, PostgresBillingReports>();
            services.TryAddSingleton<IUsageReports, PostgresUsageReports>();
            // Budget alerts: Postgres only, like the billing export (IAlertStore says why).
            services.TryAddSingleton<IAlertStore, PostgresAlertStore>();
        }
        // How often session grains write their totals: a storage setting, bound here with the session store.
        services.AddOptions<SessionOptions>().Bind(configuration.GetSection(SessionOptions.Section))
            .Validate(o => o.FlushInterval > TimeSpan.Zero, $"{SessionOptions.Section}:FlushInterval must be positive.")
            .ValidateOnStart();
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
