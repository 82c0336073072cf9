using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;
using Npgsql;

namespace Gateway.Tests.Storage;

/// <summary>Each test migrates a database of its own, fresh and empty.</summary>
public sealed class MigrationRunnerTests
{
    private static readonly string[] Tables =
        ["teams", "api_keys", "key_spend", "settlement_batches", "key_buckets", "usage_minute", "session_usage"];

    [Fact]
    public void The_migrations_are_embedded_in_version_order()
    {
        var versions = MigrationRunner.Scripts.Select(s => s.Version).ToList();
        Assert.Equal("0001_keys", versions[0]);
        Assert.Equal(versions.Order(StringComparer.Ordinal), versions);
        Assert.All(MigrationRunner.Scripts, s => Assert.Matches("(CREATE|ALTER) (TABLE|VIEW|INDEX)", s.Sql));
    }

    [Fact]
    public async Task The_database_itself_refuses_a_key_cache_ttl_other_than_5m_or_1h()
    {
        await using var database = await TestPostgres.CreateAsync();
        await MigrationRunner.ApplyAsync(database.DataSource);
        await using (var setUp = database.DataSource.CreateCommand("""
            INSERT INTO teams (team_id, name) VALUES ('team_000000000001', 't');
            INSERT INTO api_keys (key_id, team_id, secret_hash, secret_prefix, cache_injection, cache_ttl)
            VALUES ('key_000000000001', 'team_000000000001', repeat('a', 64), 'sk-gw-aaaaaa', false, '1h');
            """))
        {
            await setUp.ExecuteNonQueryAsync();
        }

        await using var bad = database.DataSource.CreateCommand("UPDATE api_keys SET cache_ttl = '10m'");
        var e = await Assert.ThrowsAsync<PostgresException>(() => bad.ExecuteNonQueryAsync());
        Assert.Equal(("23514", "api_keys_cache_ttl_check"), (e.SqlState, e.ConstraintName));
    }

    [Fact]
    public async Task Applying_twice_applies_once()
    {
        await using var database = await TestPostgres.CreateAsync();

        Assert.Equal(MigrationRunner.Scripts.Count, await MigrationRunner.ApplyAsync(database.DataSource));
        Assert.Equal(0, await MigrationRunner.ApplyAsync(database.DataSource));

        Assert.Equal(MigrationRunner.Scripts.Select(s => s.Version), await AppliedVersionsAsync(database.DataSource));
        Assert.Subset(await TablesAsync(database.DataSource), Tables.ToHashSet());
    }

    [Fact]
    public async Task Runners_started_together_take_turns_and_apply_each_migration_once()
    {
        await using var database = await TestPostgres.CreateAsync();
        // Separate data sources: separate pools, as separate pods would have.
        var sources = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(database.ConnectionString)).ToList();
        try
        {
            var applied = await Task.WhenAll(sources.Select(s => Task.Run(() => MigrationRunner.ApplyAsync(s))));

            Assert.Equal(MigrationRunner.Scripts.Count, applied.Sum());
            Assert.Equal(MigrationRunner.Scripts.Select(s => s.Version), await AppliedVersionsAsync(database.DataSource));
        }
        finally
        {
            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_migrate_command_exits_zero_and_reports_a_missing_connection_string()
    {
        await using var database = await TestPostgres.CreateAsync();

        Assert.Equal(0, await MigrationCommand.RunAsync(database.ConnectionString));
        Assert.Equal(0, await MigrationCommand.RunAsync(database.ConnectionString));
        Assert.Equal(MigrationRunner.Scripts.Select(s => s.Version), await AppliedVersionsAsync(database.DataSource));
        Assert.Equal(2, await MigrationCommand.RunAsync(""));
    }

    private static async Task<List<string>> AppliedVersionsAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT version FROM schema_migrations ORDER BY version");
        return await ReadStringsAsync(command);
    }

    private static async Task<HashSet<string>> TablesAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
        return [.. await ReadStringsAsync(command)];
    }

    private static async Task<List<string>> ReadStringsAsync(NpgsqlCommand command)
    {
        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }
        return values;
    }
}
