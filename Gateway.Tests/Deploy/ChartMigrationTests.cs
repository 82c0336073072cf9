namespace Gateway.Tests.Deploy;

/// <summary>
/// The schema is always applied by someone: the migrations hook, or (hook off, or the trial Postgres that only
/// exists after install) the silos at start, through <c>Postgres__MigrateOnStart</c>.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ChartMigrationTests
{
    [Theory]
    [InlineData("external-databases.yaml", "migrations.enabled=true", true, "false")]
    [InlineData("external-databases.yaml", "migrations.enabled=false", false, "true")]
    [InlineData("minimal.yaml", "migrations.enabled=true", true, "true")]
    [InlineData("minimal.yaml", "migrations.enabled=false", false, "true")]
    public async Task Silos_migrate_at_start_whenever_the_hook_does_not_run_first(string values, string set, bool job, string siloMigrates)
    {
        var chart = await DeployTools.RenderValidAsync("gw", [DeployTools.CiValues(values)], [set]);
        Assert.Equal(job, chart.OfKind("Job").Any());
        var env = Workloads.Env(chart.Get("Deployment", "gw-gateway-silo"));
        Assert.Equal(siloMigrates, env["Postgres__MigrateOnStart"].GetProperty("value").GetString());
        // The silo also has what migrating needs: the connection string.
        Assert.True(env.ContainsKey("Postgres__ConnectionString"));
    }
}
