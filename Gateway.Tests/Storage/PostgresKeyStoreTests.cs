using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Storage;

public sealed class PostgresKeyStoreTests(TestPostgres database) : KeyStoreContract, IClassFixture<TestPostgres>, IAsyncLifetime
{
    protected override IKeyStore Store { get; } = new PostgresKeyStore(database.DataSource);

    public Task InitializeAsync() => MigrationRunner.ApplyAsync(database.DataSource);

    public Task DisposeAsync() => Task.CompletedTask;
}
