using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Reliability;

/// <summary>
/// SIGKILL under steady load (2 fronts, 2 silos, Redis clustering, Postgres): clients' served requests
/// against the audit rows and the charge in Postgres. A killed silo holds nothing that is not in
/// Postgres or still held (and retried) by a front, so it loses nothing. A killed front loses what it
/// had buffered and not yet written: at most the requests it finished in its last batch intervals.
/// Each test uses a key of its own; the cluster is whole again when a test ends.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ProcessKillTests(SharedServicesCluster fixture, ITestOutputHelper output) : IClassFixture<SharedServicesCluster>
{
    /// <summary>
    /// How long after a request ends its audit row and its charge may still sit in the front's memory:
    /// the audit flush (<c>Audit:FlushInterval</c>, 200 ms) and settlement flush (<c>Settlement:FlushInterval</c>,
    /// 100 ms) plus one write each (a COPY, a grain call writing through to Postgres), with room for a busy
    /// two-core machine. Only requests a killed front finished within this window may be lost.
    /// </summary>
    public static readonly TimeSpan FrontBufferWindow = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    private FailoverCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task A_killed_silo_loses_no_audit_row_and_no_charge()
    {
        var key = await GatewayKeys.CreateAsync(Cluster.Admin);
        var load = SteadyLoad.Start(Cluster.FrontAddresses, key.Secret);
        await using (load)
        {
            await load.WaitForServedAsync(100, Step);
            var victim = await Cluster.Processes.SiloHostingAsync(key.KeyId);
            output.WriteLine($"{load.Clock.Elapsed.TotalSeconds:0.0} s: SIGKILL {Cluster.Processes.Silos[victim].Name} (hosts the key's grain)");
            Cluster.Processes.Silos[victim].Kill();
            await load.WaitForServedAsync(200, Step);
            output.WriteLine($"{load.Clock.Elapsed.TotalSeconds:0.0} s: restarting it");
            await Cluster.Processes.RestartAsync(victim);
            await load.WaitForServedAsync(100, Step);
        }

        var outcomes = load.Outcomes;
        var served = outcomes.Count(o => o.Served);
        var ledger = await UsageLedger.SettledAsync(Cluster.Database, key.KeyId,
            l => l.ServedRows >= served && l.ChargedRequests >= l.ServedRows, TimeSpan.FromSeconds(60));
        var report = new FailoverReport("SIGKILL of the silo hosting the key's grain", outcomes, ledger);
        output.WriteLine(report.ToString());

        var context = report + Environment.NewLine + Cluster.Processes.Logs(40);
        Assert.True(report.LostRows.Count == 0, $"audit rows lost: {string.Join(", ", report.LostRows.Take(10))}\n{context}");
        Assert.True(ledger.ChargedRequests == ledger.ServedRows, $"charged {ledger.ChargedRequests} requests for {ledger.ServedRows} served rows\n{context}");
        Assert.True(ledger.SpentUsd == ledger.RowsCostUsd, $"spend {ledger.SpentUsd} vs rows' cost {ledger.RowsCostUsd}\n{context}");
        Assert.True(report.ExtraRows == 0 && report.LostCharges == 0, context);
        Assert.True(ledger.SpentUsd == report.ExpectedUsd, $"spend {ledger.SpentUsd} vs clients' usage {report.ExpectedUsd}\n{context}");
        AssertFailedCleanly(report, context);
    }

    [Fact]
    public async Task A_killed_front_loses_at_most_the_requests_it_finished_within_its_batch_intervals()
    {
        var key = await GatewayKeys.CreateAsync(Cluster.Admin);
        const int victim = 1;
        TimeSpan killedAt;
        var load = SteadyLoad.Start(Cluster.FrontAddresses, key.Secret);
        await using (load)
        {
            await load.WaitForServedAsync(200, Step);
            killedAt = load.Clock.Elapsed;
            Cluster.Processes.Fronts[victim].Kill();
            output.WriteLine($"{killedAt.TotalSeconds:0.0} s: SIGKILL {Cluster.Processes.Fronts[victim].Name}");
            await load.WaitForServedAsync(100, Step);
            await Cluster.Processes.RestartAsync(Cluster.FrontIndex(victim));
            var restartedAt = load.Clock.Elapsed;
            output.WriteLine($"{restartedAt.TotalSeconds:0.0} s: {Cluster.Processes.Fronts[victim].Name} restarted");
            await Eventually.HoldsAsync("the restarted front serves again",
                () => Task.FromResult(load.Outcomes.Any(o => o.Front == victim && o.Served && o.Sent > restartedAt)), Step, () => Cluster.Processes.Logs(40));
        }

        var outcomes = load.Outcomes;
        var served = outcomes.Count(o => o.Served);
        var ledger = await UsageLedger.SettledAsync(Cluster.Database, key.KeyId,
            l => l.ServedRows >= served && l.ChargedRequests >= served, TimeSpan.FromSeconds(30));
        var report = new FailoverReport("SIGKILL of a front", outcomes, ledger);
        // Requests the killed front finished within the window before the kill: the most it can lose.
        // (Sent before the kill: a response read just after the kill was still written before it.)
        var exposed = outcomes.Where(o => o.Served && o.Front == victim && o.Sent <= killedAt && o.Finished > killedAt - FrontBufferWindow).ToList();
        var oldestLost = report.LostRows.Count == 0 ? TimeSpan.Zero : report.LostRows.Max(o => killedAt - o.Finished);
        output.WriteLine(report.ToString());
        output.WriteLine($"  the killed front finished {exposed.Count} requests in the {FrontBufferWindow.TotalMilliseconds:0} ms before the kill; " +
            $"{report.LostRows.Count} rows and {report.LostCharges} charges lost; the oldest lost row's request ended {oldestLost.TotalMilliseconds:0} ms before the kill");

        var context = report + Environment.NewLine + Cluster.Processes.Logs(40);
        // Every lost row is one the killed front had finished in its last window (not older, not on the other front).
        Assert.All(report.LostRows, o => Assert.True(o.Front == victim && killedAt - o.Finished <= FrontBufferWindow,
            $"a row lost outside the killed front's buffer window: {o}\n{context}"));
        Assert.True(report.LostCharges <= exposed.Count, $"{report.LostCharges} charges lost, more than the {exposed.Count} exposed\n{context}");
        Assert.True(report.LostCharges >= -outcomes.Count(o => !o.Served), context);
        // What was charged is what the rows say, give or take the killed front's unwritten tail.
        Assert.True(Math.Abs(ledger.ChargedRequests - ledger.ServedRows) <= exposed.Count, context);
        AssertFailedCleanly(report, context);
    }

    /// <summary>While a process was down, clients saw answers or refused connections, never a hang or a body of another shape.</summary>
    internal static void AssertFailedCleanly(FailoverReport report, string context)
    {
        Assert.True(report.Hangs == 0, $"{report.Hangs} requests had no answer within the client's deadline\n{context}");
        Assert.True(report.Unshaped.Count == 0, $"error bodies not in Anthropic's shape: {string.Join(", ", report.Unshaped.Take(5))}\n{context}");
    }
}
