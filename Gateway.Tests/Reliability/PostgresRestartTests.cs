using System.Diagnostics;
using System.Net;
using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Reliability;

/// <summary>
/// Postgres goes away under steady load (crash-stopped, kept down longer than a routine failover) and
/// comes back. Meanwhile the fronts keep admitting (keys are cached, limits live in the grains) and
/// hold what they could not write; a key no front has seen yet gets a quick Anthropic-shaped 503 (its
/// lookup needs Postgres), and works once Postgres is back. Then every audit row and every charge arrives.
/// The test runs its own Postgres (other test classes share the CI one, which must stay up).
/// </summary>
[Collection(ClusterProcessCollection.Name)]
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class PostgresRestartTests(ITestOutputHelper output)
{
    /// <summary>Longer than the fronts' first retries (a settlement batch was retried for about 9 s).</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(12);

    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task While_Postgres_is_down_traffic_continues_and_once_it_returns_no_row_or_charge_is_missing()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        await using var cluster = await FailoverCluster.StartAsync(await TestRedis.EndpointAsync(), postgres.ConnectionString);
        var key = await GatewayKeys.CreateAsync(cluster.Admin);
        // A key never used before the outage: no front or grain has it cached, so it needs Postgres.
        var coldKey = await GatewayKeys.CreateAsync(cluster.Admin);
        using var coldClient = new HttpClient { BaseAddress = cluster.FrontAddresses[0], Timeout = TimeSpan.FromSeconds(30) };
        coldClient.DefaultRequestHeaders.Add("x-api-key", coldKey.Secret);

        TimeSpan downAt, upAt;
        HttpStatusCode coldStatus;
        string coldBody;
        TimeSpan coldTook;
        var load = SteadyLoad.Start(cluster.FrontAddresses, key.Secret);
        await using (load)
        {
            await load.WaitForServedAsync(100, Step);
            downAt = load.Clock.Elapsed;
            await postgres.StopAsync("immediate");
            output.WriteLine($"{downAt.TotalSeconds:0.0} s: Postgres stopped (immediate)");
            await Task.Delay(Outage / 2);
            var asked = Stopwatch.StartNew();
            using (var cold = await coldClient.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
            {
                coldTook = asked.Elapsed;
                coldStatus = cold.StatusCode;
                coldBody = await cold.Content.ReadAsStringAsync();
            }
            output.WriteLine($"{load.Clock.Elapsed.TotalSeconds:0.0} s: a key unseen before the outage got {(int)coldStatus} in {coldTook.TotalMilliseconds:0} ms: {coldBody}");
            await Task.Delay(Outage / 2);
            await postgres.StartAgainAsync();
            upAt = load.Clock.Elapsed;
            output.WriteLine($"{upAt.TotalSeconds:0.0} s: Postgres back");
            await load.WaitForServedAsync(200, Step);
            output.WriteLine($"{load.Clock.Elapsed.TotalSeconds:0.0} s: 200 more served");
        }

        // The refusal was not remembered: the same key works once Postgres is back.
        var coldServed = await Eventually.HoldsAsync("the key unseen before the outage is served once Postgres is back", async () =>
        {
            using var response = await coldClient.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            return response.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(30), () => cluster.Processes.Logs(40));

        output.WriteLine($"the key unseen before the outage served {coldServed.TotalSeconds:0.0} s after the load stopped");

        var outcomes = load.Outcomes;
        var served = outcomes.Count(o => o.Served);
        var ledger = await UsageLedger.SettledAsync(cluster.Database, key.KeyId,
            l => l.ServedRows >= served && l.ChargedRequests >= l.ServedRows, TimeSpan.FromSeconds(60));
        output.WriteLine($"ledger complete at {load.Clock.Elapsed.TotalSeconds:0.0} s");
        var report = new FailoverReport($"Postgres down for {Outage.TotalSeconds:0} s", outcomes, ledger);
        var duringOutage = outcomes.Where(o => o.Sent > downAt && o.Finished < upAt).ToList();
        output.WriteLine(report.ToString());
        output.WriteLine($"  during the outage: {duringOutage.Count(o => o.Served)} served, {duringOutage.Count(o => !o.Served)} not");

        var context = report + Environment.NewLine + cluster.Processes.Logs(40) + Environment.NewLine + postgres.Tail();
        Assert.True(coldStatus == HttpStatusCode.ServiceUnavailable && Json.AssertAnthropicError(coldBody) == "overloaded_error",
            $"a key unseen before the outage got {(int)coldStatus}: {coldBody}\n{context}");
        Assert.True(duringOutage.Any(o => o.Served), $"nothing was served while Postgres was down\n{context}");
        Assert.True(report.LostRows.Count == 0, $"audit rows lost: {string.Join(", ", report.LostRows.Take(10))}\n{context}");
        Assert.True(ledger.ChargedRequests == ledger.ServedRows, $"charged {ledger.ChargedRequests} requests for {ledger.ServedRows} served rows\n{context}");
        Assert.True(ledger.SpentUsd == ledger.RowsCostUsd, $"spend {ledger.SpentUsd} vs rows' cost {ledger.RowsCostUsd}\n{context}");
        Assert.True(report.LostCharges <= 0, context);
        ProcessKillTests.AssertFailedCleanly(report, context);
        // The fronts' logs say what failed (Postgres), not that the grain's exception could not be serialized.
        Assert.All(cluster.Processes.Processes, p => Assert.DoesNotContain("Could not find a codec", p.Log));
    }
}
