using System.Net;
using Gateway.FakeUpstream;
using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Usage;

/// <summary>
/// A silo stopped with SIGTERM writes what its grains hold before it exits: with the session timer
/// set to ten minutes, only the graceful deactivation can have written the session's row.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class SiloShutdownFlushTests
{
    [Fact]
    public async Task A_sigterm_silo_flushes_its_sessions_and_the_cluster_carries_on()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var database = await TestPostgres.CreateAsync();
        await using var cluster = await ClusterProcesses.StartAsync(new ClusterProcessOptions
        {
            Silos = 2,
            Fronts = 1,
            RedisConnectionString = await TestRedis.EndpointAsync(),
            PostgresConnectionString = database.ConnectionString,
            SiloSettings = new Dictionary<string, string?> { ["Sessions:FlushInterval"] = "00:10:00" },
            FrontSettings = new Dictionary<string, string?>
            {
                ["Upstream:BaseUrl"] = upstream.BaseAddress.ToString(),
                ["Upstream:ApiKeys:0"] = "sk-upstream",
                ["Admin:Token"] = FrontHost.AdminToken,
                ["Settlement:FlushInterval"] = "00:00:00.050",
            },
        });
        using var admin = new HttpClient { BaseAddress = cluster.Fronts[0].HttpAddress };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", FrontHost.AdminToken);
        var key = await GatewayKeys.CreateAsync(admin);
        using var client = new HttpClient { BaseAddress = cluster.Fronts[0].HttpAddress };
        client.DefaultRequestHeaders.Add("x-api-key", key.Secret);
        var session = "sigterm-" + Guid.NewGuid().ToString("N");
        client.DefaultRequestHeaders.Add("X-Claude-Code-Session-Id", session);
        long output = 0;
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            output += Json.Parse(await response.Content.ReadAsStringAsync()).GetProperty("usage").GetProperty("output_tokens").GetInt64();
        }
        await Eventually.HoldsAsync("the session's usage recorded in its grain", async () =>
        {
            try { await cluster.SiloHostingAsync(session); return true; } catch (InvalidOperationException) { return false; }
        }, TimeSpan.FromSeconds(10), () => cluster.Logs());
        await Task.Delay(500); // the settler's batches reach the session grain
        var host = await cluster.SiloHostingAsync(session);
        Assert.Equal(0L, await CountAsync(database, session));

        var exit = await cluster.Silos[host].TerminateAsync(TimeSpan.FromSeconds(30));
        Assert.True(exit == 0, $"exit {exit}\n{cluster.Logs()}");

        await using (var row = database.DataSource.CreateCommand($"SELECT requests, output_tokens FROM session_usage WHERE session_id = '{session}'"))
        await using (var reader = await row.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync(), "the session was not flushed on SIGTERM");
            Assert.Equal(3L, reader.GetInt64(0));
            Assert.Equal(output, reader.GetInt64(1));
        }

        // The surviving silo takes over: the next request still works and the session continues from 3.
        using (var after = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }
    }

    private static async Task<long> CountAsync(TestPostgres database, string session)
    {
        await using var count = database.DataSource.CreateCommand($"SELECT count(*) FROM session_usage WHERE session_id = '{session}'");
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
