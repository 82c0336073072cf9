using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Storage;

public sealed class PostgresBatchStoreTests(TestPostgres database) : BatchStoreContract, IClassFixture<TestPostgres>, IAsyncLifetime
{
    protected override IBatchStore Store { get; } = new PostgresBatchStore(database.DataSource);

    public Task InitializeAsync() => MigrationRunner.ApplyAsync(database.DataSource);

    public Task DisposeAsync() => Task.CompletedTask;
}
