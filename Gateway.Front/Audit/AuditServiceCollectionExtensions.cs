using Gateway.Grains.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gateway.Front.Audit;

public static class AuditServiceCollectionExtensions
{
    /// <summary>
    /// Options (section <c>Audit</c>, validated at start) and the <see cref="IAuditSink"/> singleton:
    /// <see cref="PostgresAuditSink"/> (also a hosted service) when the audit log is on and
    /// <c>Postgres:ConnectionString</c> is set, else <see cref="NullAuditSink"/>. The Postgres sink uses the
    /// <see cref="NpgsqlDataSource"/> of <c>AddGatewayStorage</c> when one is registered (in either order),
    /// else one of its own. It needs the schema migrated (<c>AddGatewayStorage</c> does it at start, or the
    /// <c>migrate</c> command). An <see cref="IAuditSink"/> registered before this call is kept.
    /// </summary>
    public static IServiceCollection AddGatewayAudit(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(AuditOptions.Section);
        var connectionString = configuration.GetSection(PostgresOptions.Section)[nameof(PostgresOptions.ConnectionString)];
        var postgres = !string.IsNullOrWhiteSpace(connectionString);

        services.AddOptions<AuditOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuditOptions>>(new AuditOptionsValidator(postgres)));
        if (services.Any(d => d.ServiceType == typeof(IAuditSink)))
        {
            return services;
        }

        var enabled = section.GetValue<bool?>(nameof(AuditOptions.Enabled)) ?? postgres;
        if (!enabled || !postgres)
        {
            // Enabled without Postgres fails validation at start; otherwise the log is simply off.
            var reason = !enabled ? $"{AuditOptions.Section}:Enabled is false" : $"{PostgresOptions.Section}:ConnectionString is empty";
            services.TryAddSingleton(provider =>
            {
                AuditLog.Disabled(provider.GetRequiredService<ILoggerFactory>().CreateLogger<NullAuditSink>(), reason);
                return new NullAuditSink();
            });
            services.AddSingleton<IAuditSink>(provider => provider.GetRequiredService<NullAuditSink>());
            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<AuditOptions>>();
            var logger = provider.GetRequiredService<ILogger<PostgresAuditSink>>();
            var time = provider.GetService<TimeProvider>();
            var shared = provider.GetService<NpgsqlDataSource>();
            var sink = shared is not null
                ? new PostgresAuditSink(shared, options, logger, time)
                : new PostgresAuditSink(OwnDataSource(connectionString!, provider), ownsDataSource: true, options, logger, time);
            var o = options.Value;
            AuditLog.Enabled(logger, o.BufferCapacity, o.BatchSize, o.RetentionDays > 0 ? $"{o.RetentionDays} days" : "keep everything");
            return sink;
        });
        services.AddSingleton<IAuditSink>(provider => provider.GetRequiredService<PostgresAuditSink>());
        services.AddHostedService(provider => provider.GetRequiredService<PostgresAuditSink>());
        return services;
    }

    private static NpgsqlDataSource OwnDataSource(string connectionString, IServiceProvider provider)
    {
        NpgsqlDataSourceBuilder builder;
        try
        {
            builder = new NpgsqlDataSourceBuilder(connectionString) { Name = "gateway-audit" };
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"{PostgresOptions.Section}:ConnectionString is not a valid Npgsql connection string: {e.Message}", e);
        }
        builder.UseLoggerFactory(provider.GetService<ILoggerFactory>());
        return builder.Build();
    }
}
