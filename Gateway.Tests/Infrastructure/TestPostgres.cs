using Npgsql;
using Testcontainers.PostgreSql;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A fresh, empty Postgres database (<c>gw_test_&lt;random&gt;</c>), dropped at the end: per test class
/// as <c>IClassFixture&lt;TestPostgres&gt;</c>, or per test with <c>await using var db = await TestPostgres.CreateAsync()</c>.
/// The server comes from <c>GATEWAY_TEST_POSTGRES</c> (an Npgsql connection string; <c>eval "$(bash .ci/services.sh start)"</c>
/// sets it), else from one Testcontainers Postgres shared by the whole run, else the test fails saying so.
/// </summary>
public sealed class TestPostgres : IAsyncLifetime, IAsyncDisposable
{
    public const string EnvironmentVariable = "GATEWAY_TEST_POSTGRES";

    private const string Image = "postgres:15-alpine";

    private static readonly SemaphoreSlim s_serverGate = new(1, 1);
    private static Task<string>? s_server;

    private NpgsqlDataSource? _dataSource;
    private string? _server;

    public string DatabaseName { get; } = "gw_test_" + Guid.NewGuid().ToString("N")[..16];

    /// <summary>Connection string to this test's own database.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>A data source on this database, disposed with it.</summary>
    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("Call InitializeAsync first.");

    public static async Task<TestPostgres> CreateAsync()
    {
        var database = new TestPostgres();
        await database.InitializeAsync();
        return database;
    }

    public async Task InitializeAsync()
    {
        _server = await ServerAsync();
        await using (var connection = new NpgsqlConnection(_server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{DatabaseName}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(_server) { Database = DatabaseName }.ConnectionString;
        _dataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
        if (_server is null)
        {
            return;
        }
        // Hosts under test may have pools of their own on this database; FORCE ends their sessions.
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    /// <summary>The server's connection string (its maintenance database), found once per test run.</summary>
    public static async Task<string> ServerAsync()
    {
        await s_serverGate.WaitAsync();
        try
        {
            // A failed lookup is remembered too: every class then fails fast with the same message.
            s_server ??= FindServerAsync();
        }
        finally
        {
            s_serverGate.Release();
        }
        return await s_server;
    }

    private static async Task<string> FindServerAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }
        try
        {
            var container = new PostgreSqlBuilder(Image).Build();
            await container.StartAsync();
            // Testcontainers' reaper removes the container when the test process exits.
            return container.GetConnectionString();
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"No Postgres for the tests: set {EnvironmentVariable} to an Npgsql connection string " +
                "(e.g. eval \"$(bash .ci/services.sh start)\") or run a Docker engine for Testcontainers. " +
                $"Starting a container failed: {e.GetType().Name}: {e.Message}", e);
        }
    }
}
