using System.Net;
using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Reliability;

/// <summary>
/// Redis (Orleans membership) crashes under steady load and comes back. Running fronts keep their
/// gateway connections and the silos their last membership view, so traffic continues; a front
/// started while Redis is down cannot find the cluster: it stays not ready and answers with
/// Anthropic-shaped errors within the client's deadline, and joins once Redis is back. Nothing is
/// lost. The test runs its own Redis (other test classes share the CI one, which must stay up).
/// </summary>
[Collection(ClusterProcessCollection.Name)]
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class RedisRestartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task While_Redis_is_down_running_fronts_keep_serving_a_new_front_waits_and_nothing_is_lost()
    {
        await using var redis = await PrivateRedis.StartAsync();
        await using var database = await TestPostgres.CreateAsync();
        await using var cluster = await FailoverCluster.StartAsync(redis.Endpoint, database.ConnectionString);
        var key = await GatewayKeys.CreateAsync(cluster.Admin);
        const int restarted = 1;
        var front = cluster.Processes.Fronts[restarted];

        TimeSpan downAt, upAt;
        HttpStatusCode? readyWhileDown;
        var load = SteadyLoad.Start(cluster.FrontAddresses, key.Secret);
        await using (load)
        {
            await load.WaitForServedAsync(100, Step);
            downAt = load.Clock.Elapsed;
            redis.Kill();
            output.WriteLine($"{downAt.TotalSeconds:0.0} s: Redis killed");

            // A front restarted now finds no membership to read.
            var exit = await front.TerminateAsync(TimeSpan.FromSeconds(40));
            Assert.True(exit == 0, $"exit code {exit}\n{cluster.Processes.Logs(40)}");
            front.Restart();
            output.WriteLine($"{load.Clock.Elapsed.TotalSeconds:0.0} s: {front.Name} restarted while Redis is down");
            await Task.Delay(Outage);
            readyWhileDown = await front.ReadyStatusAsync();

            await redis.StartAgainAsync();
            upAt = load.Clock.Elapsed;
            output.WriteLine($"{upAt.TotalSeconds:0.0} s: Redis back; {front.Name} /readyz was {readyWhileDown?.ToString() ?? "no answer"} before");
            var joined = await Eventually.HoldsAsync($"{front.Name} joins once Redis is back", async () => await front.ReadyStatusAsync() == HttpStatusCode.OK,
                Step, () => cluster.Processes.Logs(40) + redis.Tail());
            output.WriteLine($"  {front.Name} ready {joined.TotalSeconds:0.0} s after Redis came back");
            var readyAt = load.Clock.Elapsed;
            await Eventually.HoldsAsync($"{front.Name} serves", () => Task.FromResult(load.Outcomes.Any(o => o.Front == restarted && o.Served && o.Sent > readyAt)),
                Step, () => cluster.Processes.Logs(40));
            await load.WaitForServedAsync(100, Step);
        }

        var outcomes = load.Outcomes;
        var served = outcomes.Count(o => o.Served);
        var ledger = await UsageLedger.SettledAsync(database.DataSource, key.KeyId,
            l => l.ServedRows >= served && l.ChargedRequests >= l.ServedRows, TimeSpan.FromSeconds(60));
        var report = new FailoverReport($"Redis down for {Outage.TotalSeconds:0} s, a front restarted meanwhile", outcomes, ledger);
        var duringOutage = outcomes.Where(o => o.Sent > downAt && o.Finished < upAt).ToList();
        output.WriteLine(report.ToString());
        output.WriteLine($"  during the outage: {duringOutage.Count(o => o.Served)} served, {duringOutage.Count(o => !o.Served)} not " +
            $"({string.Join(", ", duringOutage.Where(o => !o.Served).GroupBy(o => (o.Front, o.Status)).Select(g => $"front {g.Key.Front} status {g.Key.Status}: {g.Count()}"))})");

        var context = report + Environment.NewLine + cluster.Processes.Logs(40) + Environment.NewLine + redis.Tail();
        Assert.True(readyWhileDown != HttpStatusCode.OK, $"{front.Name} said it was ready with no cluster to join\n{context}");
        Assert.True(duringOutage.Any(o => o.Served && o.Front != restarted), $"the running front served nothing while Redis was down\n{context}");
        Assert.True(report.LostRows.Count == 0, $"audit rows lost: {string.Join(", ", report.LostRows.Take(10))}\n{context}");
        Assert.True(ledger.ChargedRequests == ledger.ServedRows, $"charged {ledger.ChargedRequests} requests for {ledger.ServedRows} served rows\n{context}");
        Assert.True(ledger.SpentUsd == ledger.RowsCostUsd, $"spend {ledger.SpentUsd} vs rows' cost {ledger.RowsCostUsd}\n{context}");
        Assert.True(report.LostCharges <= 0, context);
        ProcessKillTests.AssertFailedCleanly(report, context);
    }
}
