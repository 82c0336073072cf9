using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Storage;

public sealed class PostgresUserStoreTests(TestPostgres database) : UserStoreContract, IClassFixture<TestPostgres>, IAsyncLifetime
{
    protected override IKeyStore Keys { get; } = new PostgresKeyStore(database.DataSource);
    protected override IUserStore Users { get; } = new PostgresUserStore(database.DataSource);

    public Task InitializeAsync() => MigrationRunner.ApplyAsync(database.DataSource);

    public Task DisposeAsync() => Task.CompletedTask;
}
