using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Reliability;

/// <summary>
/// SIGTERM (a rolling update, a scale-down) of a silo, then of a front, under steady load: a graceful
/// stop loses no audit row and no charge. The front drains its requests, then its settlement queue and
/// audit buffer; the silo hands its grains off. Each test uses a key of its own and restarts what it stopped.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class GracefulStopTests(SharedServicesCluster fixture, ITestOutputHelper output) : IClassFixture<SharedServicesCluster>
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    private FailoverCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task A_silo_stopped_with_SIGTERM_loses_no_audit_row_and_no_charge()
    {
        var key = await GatewayKeys.CreateAsync(Cluster.Admin);
        var load = SteadyLoad.Start(Cluster.FrontAddresses, key.Secret);
        await using (load)
        {
            await load.WaitForServedAsync(100, Step);
            var victim = await Cluster.Processes.SiloHostingAsync(key.KeyId);
            output.WriteLine($"{load.Clock.Elapsed.TotalSeconds:0.0} s: SIGTERM {Cluster.Processes.Silos[victim].Name} (hosts the key's grain)");
            var exit = await Cluster.Processes.TerminateAsync(victim, TimeSpan.FromSeconds(40));
            output.WriteLine($"{load.Clock.Elapsed.TotalSeconds:0.0} s: exited with {exit}");
            Assert.True(exit == 0, $"exit code {exit}\n{Cluster.Processes.Logs(40)}");
            await load.WaitForServedAsync(100, Step);
            await Cluster.Processes.RestartAsync(victim);
            await load.WaitForServedAsync(100, Step);
        }
        await AssertNothingLostAsync("SIGTERM of the silo hosting the key's grain", key.KeyId, load.Outcomes);
    }

    [Fact]
    public async Task A_front_stopped_with_SIGTERM_loses_no_audit_row_and_no_charge()
    {
        var key = await GatewayKeys.CreateAsync(Cluster.Admin);
        const int victim = 1;
        var load = SteadyLoad.Start(Cluster.FrontAddresses, key.Secret);
        await using (load)
        {
            await load.WaitForServedAsync(200, Step);
            output.WriteLine($"{load.Clock.Elapsed.TotalSeconds:0.0} s: SIGTERM {Cluster.Processes.Fronts[victim].Name}");
            var exit = await Cluster.Processes.TerminateAsync(Cluster.FrontIndex(victim), TimeSpan.FromSeconds(40));
            output.WriteLine($"{load.Clock.Elapsed.TotalSeconds:0.0} s: exited with {exit}");
            Assert.True(exit == 0, $"exit code {exit}\n{Cluster.Processes.Logs(40)}");
            await load.WaitForServedAsync(100, Step);
            await Cluster.Processes.RestartAsync(Cluster.FrontIndex(victim));
            var restartedAt = load.Clock.Elapsed;
            await Eventually.HoldsAsync("the restarted front serves again",
                () => Task.FromResult(load.Outcomes.Any(o => o.Front == victim && o.Served && o.Sent > restartedAt)), Step, () => Cluster.Processes.Logs(40));
        }
        await AssertNothingLostAsync("SIGTERM of a front", key.KeyId, load.Outcomes);
    }

    private async Task AssertNothingLostAsync(string scenario, string keyId, IReadOnlyList<LoadOutcome> outcomes)
    {
        var served = outcomes.Count(o => o.Served);
        var ledger = await UsageLedger.SettledAsync(Cluster.Database, keyId,
            l => l.ServedRows >= served && l.ChargedRequests >= l.ServedRows, TimeSpan.FromSeconds(60));
        var report = new FailoverReport(scenario, outcomes, ledger);
        output.WriteLine(report.ToString());
        var context = report + Environment.NewLine + Cluster.Processes.Logs(40);
        Assert.True(report.LostRows.Count == 0, $"audit rows lost: {string.Join(", ", report.LostRows.Take(10))}\n{context}");
        Assert.True(report.LostCharges <= 0, $"charges lost\n{context}");
        Assert.True(ledger.ChargedRequests == ledger.ServedRows, $"charged {ledger.ChargedRequests} requests for {ledger.ServedRows} served rows\n{context}");
        Assert.True(ledger.SpentUsd == ledger.RowsCostUsd, $"spend {ledger.SpentUsd} vs rows' cost {ledger.RowsCostUsd}\n{context}");
        ProcessKillTests.AssertFailedCleanly(report, context);
    }
}
