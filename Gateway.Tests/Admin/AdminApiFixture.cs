using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin;

/// <summary>One admin host on a fresh Postgres database (migrated by the host's own start-up) per test class.</summary>
public sealed class AdminApiFixture : IAsyncLifetime
{
    public TestPostgres Database { get; } = new();

    internal AdminHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        Host = await AdminHost.StartAsync(Database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
        await Database.DisposeAsync();
    }
}
