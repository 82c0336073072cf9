using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Reliability;

namespace Gateway.Tests.Deploy;

/// <summary>
/// Two silo containers and one front, as the chart renders them (two renderings that differ only in the silos'
/// ports, which on one host network must differ), under steady traffic on one key: SIGTERM to the silo hosting
/// the key's grain. It exits 0 within the chart's grace period, the front keeps serving the key (failures only
/// in a short window), the other silo takes the grain over, and the key's spend keeps every charge made before.
/// </summary>
public sealed partial class ContainerRunTests
{
    // Served requests before the stop and after the exit: enough that both sides of the hand-off are charged.
    private const int ServedOnEachSide = 20;
    private static readonly TimeSpan ErrorWindowLimit = TimeSpan.FromSeconds(10);

    [PodmanFact]
    public async Task The_silo_hosting_a_keys_grain_hands_it_off_on_SIGTERM_within_the_grace_period_and_loses_no_charge()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ReplyText = "hello", ApiKeys = [UpstreamKey] });
        await using var redis = await PrivateRedis.StartAsync();
        await using var database = await TestPostgres.CreateAsync();
        int frontPort = ClusterProcesses.FreePort(), metricsPort = ClusterProcesses.FreePort();
        SiloPorts[] ports = [SiloPorts.Free(), SiloPorts.Free()];
        var charts = await Task.WhenAll(ports.Select(p => RenderAsync(upstream, redis, database, frontPort, metricsPort, p)));
        var silos = charts.Select((chart, i) => Container(chart, "Deployment", "silo", $"-{i}")).ToArray();
        var front = Container(charts[0], "Deployment", "front");
        Assert.Equal(charts[0].ConfigValue($"{Release}-gateway-config", "Cluster__ClusterId"), charts[1].ConfigValue($"{Release}-gateway-config", "Cluster__ClusterId"));
        Assert.NotEqual(silos[0].Env["POD_NAME"], silos[1].Env["POD_NAME"]);

        await MigrateAsync(charts[0]);
        // Both silos before the front, so the front's first gateway list names both.
        var siloNames = await Task.WhenAll(silos.Select((silo, i) => StartReadyAsync(silo, $"silo-{i}")));
        var frontName = await StartReadyAsync(front, "front");
        var frontUri = new Uri($"http://127.0.0.1:{frontPort}/");
        using var admin = new HttpClient { BaseAddress = frontUri, Timeout = TimeSpan.FromSeconds(30) };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
        var key = await GatewayKeys.CreateAsync(admin);

        // The front's own Orleans settings (Redis, cluster and service ids) make an in-test client of the same cluster.
        var clientSettings = front.Env.Where(e => e.Key.StartsWith("Cluster__", StringComparison.Ordinal))
            .ToDictionary(e => e.Key.Replace("__", ":", StringComparison.Ordinal), e => (string?)e.Value);
        async Task<int> HostingSiloAsync()
        {
            using var client = await ClusterProcesses.StartClusterClientAsync(clientSettings, TimeSpan.FromSeconds(30));
            var port = await ClusterProcesses.SiloPortHostingAsync(client, key.KeyId);
            return Array.FindIndex(ports, p => p.Silo == port);
        }

        var load = SteadyLoad.Start([frontUri], key.Secret, workers: 2, pause: TimeSpan.FromMilliseconds(50), maxDuration: TimeSpan.FromMinutes(2));
        int victim;
        TimeSpan signalled, exited, handOff;
        UsageLedger before;
        await using (load)
        {
            await load.WaitForServedAsync(ServedOnEachSide, TimeSpan.FromSeconds(30));
            victim = await HostingSiloAsync();
            Assert.True(victim >= 0, "the key's grain is on neither silo's port");
            var survivor = 1 - victim;
            before = await UsageLedger.ReadAsync(database.DataSource, key.KeyId);

            signalled = load.Clock.Elapsed;
            await Podman.CheckedAsync("kill", "--signal", "TERM", siloNames[victim]);
            var grace = TimeSpan.FromSeconds(silos[victim].TerminationGracePeriodSeconds);
            var exit = await WaitExitAsync(siloNames[victim], grace);
            exited = load.Clock.Elapsed;
            handOff = exited - signalled;
            var victimLog = await LogsAsync(siloNames[victim], 200);
            Assert.True(exit == 0, $"silo-{victim} exited with {exit}:\n{victimLog}");
            Assert.True(handOff < grace, $"silo-{victim} took {handOff.TotalSeconds:0.0} s, grace {grace.TotalSeconds:0} s");
            Assert.Contains("is shutting down: not ready", victimLog);

            // The same key keeps being served through the front, now by the other silo's activation of its grain.
            await load.WaitForServedAsync(ServedOnEachSide, TimeSpan.FromSeconds(30));
            Assert.Equal(survivor, await HostingSiloAsync());
            Assert.Equal("true", await Podman.CheckedAsync("inspect", "--format", "{{.State.Running}}", siloNames[survivor]));
        }

        var outcomes = load.Outcomes;
        var failures = outcomes.Where(o => !o.Served).ToList();
        var window = failures.Count == 0 ? TimeSpan.Zero : failures.Max(o => o.Finished) - failures.Min(o => o.Sent);
        // What the clients felt of the hand-off even without errors: the slowest request sent while the silo stopped.
        var slowest = outcomes.Where(o => o.Sent >= signalled && o.Sent <= exited).Select(o => o.Finished - o.Sent).DefaultIfEmpty().Max();
        var ledger = await UsageLedger.SettledAsync(database.DataSource, key.KeyId,
            l => l.ServedRows >= outcomes.Count(o => o.Served) && l.ChargedRequests >= l.ServedRows, TimeSpan.FromSeconds(30));
        var report = new FailoverReport("SIGTERM of the silo hosting the key's grain, in containers", outcomes, ledger);
        output.WriteLine(report.ToString());
        output.WriteLine($"silo-{victim} hosted the key's grain: SIGTERM at {signalled.TotalSeconds:0.0} s, exited 0 after {handOff.TotalSeconds:0.0} s " +
            $"(grace {silos[victim].TerminationGracePeriodSeconds} s); {failures.Count} failed requests in a window of {window.TotalSeconds:0.00} s; " +
            $"slowest request sent during the stop {slowest.TotalSeconds:0.00} s; " +
            $"spend ${before.SpentUsd:0.########} settled at the stop, ${ledger.SpentUsd:0.########} at the end");

        var context = $"{report}\n--- silo-{1 - victim} ---\n{await LogsAsync(siloNames[1 - victim], 40)}\n--- front ---\n{await LogsAsync(frontName, 40)}";
        Assert.True(report.ConnectionFailures == 0, $"the front refused connections while a silo stopped\n{context}");
        Assert.True(window <= ErrorWindowLimit, $"failures over {window.TotalSeconds:0.0} s (limit {ErrorWindowLimit.TotalSeconds:0} s)\n{context}");
        ProcessKillTests.AssertFailedCleanly(report, context);
        // Nothing charged before the hand-off is lost: every served request has its row, every row its charge, and the
        // spend the new activation carries on from is the sum of them all.
        Assert.True(report.LostRows.Count == 0, $"audit rows lost: {string.Join(", ", report.LostRows.Take(10))}\n{context}");
        Assert.True(report.LostCharges <= 0, $"charges lost\n{context}");
        Assert.True(ledger.ChargedRequests == ledger.ServedRows, $"charged {ledger.ChargedRequests} requests for {ledger.ServedRows} served rows\n{context}");
        Assert.True(ledger.SpentUsd == ledger.RowsCostUsd, $"spend {ledger.SpentUsd} vs rows' cost {ledger.RowsCostUsd}\n{context}");
        Assert.True(ledger.SpentUsd > before.SpentUsd, $"spend {ledger.SpentUsd} did not grow past {before.SpentUsd} after the hand-off\n{context}");
    }
}
