using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Storage;

public sealed class PostgresSpendStoreTests(TestPostgres database) : SpendStoreContract, IClassFixture<TestPostgres>, IAsyncLifetime
{
    protected override ISpendStore Store { get; } = new PostgresSpendStore(database.DataSource);

    public Task InitializeAsync() => MigrationRunner.ApplyAsync(database.DataSource);

    public Task DisposeAsync() => Task.CompletedTask;
}
