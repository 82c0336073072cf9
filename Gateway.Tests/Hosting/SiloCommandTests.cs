using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hosting;

/// <summary><c>dotnet Gateway.Silo.dll migrate</c>: the Helm hook Job's command.</summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class SiloCommandTests
{
    [Fact]
    public async Task Migrate_applies_the_schema_and_exits_zero_without_starting_a_silo()
    {
        await using var database = await TestPostgres.CreateAsync();
        await using var cluster = await ClusterProcesses.StartAsync(new ClusterProcessOptions
        {
            Silos = 0,
            Fronts = 0,
            RedisConnectionString = "127.0.0.1:1", // never reached: migrate touches Postgres only
        });

        var migrate = await cluster.StartProcessAsync(GatewayRole.Silo,
            new Dictionary<string, string?> { ["Postgres:ConnectionString"] = database.ConnectionString },
            waitUntilReady: false, arguments: ["migrate"]);
        var exitCode = await migrate.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exitCode == 0, $"exit code {exitCode?.ToString() ?? "none (still running)"}{Environment.NewLine}{cluster.Logs()}");
        Assert.DoesNotContain("Orleans", migrate.Log); // no silo was started
        await using var count = database.DataSource.CreateCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')");
        Assert.True((long)(await count.ExecuteScalarAsync())! > 0, "no tables after migrate" + Environment.NewLine + migrate.Log);
    }

    [Fact]
    public async Task Migrate_without_a_connection_string_exits_non_zero_and_says_which_setting()
    {
        await using var cluster = await ClusterProcesses.StartAsync(new ClusterProcessOptions { Silos = 0, Fronts = 0, RedisConnectionString = "127.0.0.1:1" });
        var migrate = await cluster.StartProcessAsync(GatewayRole.Silo, waitUntilReady: false, arguments: ["migrate"]);
        var exitCode = await migrate.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exitCode is not null and not 0, $"exit code {exitCode}{Environment.NewLine}{cluster.Logs()}");
        Assert.Contains("Postgres:ConnectionString", migrate.Log);
    }
}
