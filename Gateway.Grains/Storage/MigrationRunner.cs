using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Gateway.Grains.Storage;

/// <summary>
/// Applies the SQL files in <c>Storage/Migrations/</c> (embedded in this assembly) in version order,
/// each in its own transaction, recording each in <c>schema_migrations</c>. A session-level advisory
/// lock serialises runners, so pods starting together (or a Helm hook racing a pod) take turns and
/// the later ones find nothing left to do. Safe to run any number of times.
/// </summary>
public static class MigrationRunner
{
    /// <summary>The advisory lock held while migrating (the ASCII bytes of <c>gw-migr!</c>).</summary>
    public const long AdvisoryLockKey = 0x67772D6D69677221;

    private const string ResourcePrefix = "Gateway.Grains.Storage.Migrations.";

    private static readonly Lazy<IReadOnlyList<MigrationScript>> s_scripts = new(LoadScripts);

    /// <summary>Every migration this build knows, in the order they apply.</summary>
    public static IReadOnlyList<MigrationScript> Scripts => s_scripts.Value;

    /// <summary>Applies the migrations not yet applied; returns how many it applied (0 when up to date).</summary>
    public static Task<int> ApplyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default) =>
        ApplyAsync(dataSource, NullLogger.Instance, cancellationToken);

    /// <inheritdoc cref="ApplyAsync(NpgsqlDataSource, CancellationToken)"/>
    public static async Task<int> ApplyAsync(NpgsqlDataSource dataSource, ILogger logger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(logger);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Waits as long as another runner holds the lock; the caller's token bounds the wait.
        await ExecuteAsync(connection, null, "SELECT pg_advisory_lock(@key)", cancellationToken, ("key", AdvisoryLockKey));
        try
        {
            await ExecuteAsync(connection, null, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken);
            var done = await AppliedVersionsAsync(connection, cancellationToken);

            var applied = 0;
            foreach (var script in Scripts)
            {
                if (done.Remove(script.Version))
                {
                    continue;
                }
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, transaction, script.Sql, cancellationToken);
                await ExecuteAsync(connection, transaction,
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (@version, now())", cancellationToken,
                    ("version", script.Version));
                await transaction.CommitAsync(cancellationToken);
                applied++;
                StorageLog.MigrationApplied(logger, script.Version);
            }

            if (done.Count > 0)
            {
                // Left over after removing the known ones: a newer build migrated this database (rolling deploy).
                StorageLog.UnknownMigrations(logger, string.Join(", ", done.Order(StringComparer.Ordinal)));
            }
            StorageLog.SchemaCurrent(logger, Scripts.Count > 0 ? Scripts[^1].Version : "(none)", applied);
            return applied;
        }
        finally
        {
            await UnlockAsync(connection);
        }
    }

    private static async Task<HashSet<string>> AppliedVersionsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var versions = new HashSet<string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand("SELECT version FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(reader.GetString(0));
        }
        return versions;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql,
        CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        // Lock waits and index builds may take long; cancellation is the caller's bound.
        command.CommandTimeout = 0;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task UnlockAsync(NpgsqlConnection connection)
    {
        try
        {
            await ExecuteAsync(connection, null, "SELECT pg_advisory_unlock(@key)", CancellationToken.None, ("key", AdvisoryLockKey));
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // A broken connection is discarded, not pooled, and the server drops a session's locks with it.
        }
    }

    private static List<MigrationScript> LoadScripts()
    {
        var assembly = typeof(MigrationRunner).Assembly;
        var scripts = new List<MigrationScript>();
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !name.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            var version = name[ResourcePrefix.Length..^".sql".Length];
            scripts.Add(new MigrationScript(version, reader.ReadToEnd()));
        }
        scripts.Sort((a, b) => string.CompareOrdinal(a.Version, b.Version));
        return scripts;
    }
}
