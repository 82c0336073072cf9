using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Deploy;

/// <summary>
/// <c>migrations.enabled=false</c> leaves no schema unapplied: a silo started with exactly the rendered
/// configuration (as <see cref="ChartWiringTests"/> starts it) applies every migration to an empty database
/// before it reports ready.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ChartMigrationRunTests
{
    [Fact]
    public async Task Without_the_hook_a_silo_migrates_an_empty_database_at_start()
    {
        var chart = await DeployTools.RenderValidAsync("gw", [DeployTools.CiValues("external-databases.yaml")], ["migrations.enabled=false"]);
        Assert.Empty(chart.OfKind("Job"));

        await using var database = await TestPostgres.CreateAsync();
        var redis = await TestRedis.EndpointAsync();
        var upstream = chart.ConfigValue("gw-gateway-config", "Upstream__BaseUrl");
        var clusterId = TestRedis.NewClusterId("helm-migrate");
        var map = new ChartWiringTests.AddressMap(chart, database.ConnectionString, redis, upstream, upstream, clusterId);
        var logs = Path.Combine(Path.GetTempPath(), "gateway-deploy-tests", clusterId);
        Directory.CreateDirectory(logs);

        await using var silo = map.Start(chart.Get("Deployment", "gw-gateway-silo"), "gw-gateway-silo-0", logs);
        Assert.True(await silo.WaitReadyAsync(TimeSpan.FromSeconds(45)), silo.Describe(80));

        await using var command = database.DataSource.CreateCommand("SELECT count(*) FROM schema_migrations");
        Assert.Equal(MigrationRunner.Scripts.Count, (long)(await command.ExecuteScalarAsync())!);
    }
}
