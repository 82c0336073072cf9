using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Bench;

internal sealed record MemoryFigures(int Sessions, int Activated, long ResidentBefore, long ResidentAfter, long HeapBefore, long HeapAfter)
{
    public double HeapBytesPerSession => (double)(HeapAfter - HeapBefore) / Math.Max(1, Activated);

    public double ResidentBytesPerSession => (double)(ResidentAfter - ResidentBefore) / Math.Max(1, Activated);
}

/// <summary>
/// What a session costs the silo: N requests, each with its own <c>X-Claude-Code-Session-Id</c>, through the
/// everything-on front (so each activates a SessionGrain through admission and settlement, as a Claude Code
/// session does); the silo's managed heap (read after a full GC the bench asks for through Orleans'
/// management grain) and resident set before and after, divided by the session grains that were activated.
/// The grains are idle by then (10 min collection age), so the per-grain figure is an idle grain's cost.
/// </summary>
internal static class MemoryBench
{
    private const string SessionGrainType = "SessionGrain";

    public static async Task<MemoryFigures?> RunAsync(SystemsUnderTest systems, BenchOptions options)
    {
        if (systems.Silo is not { } silo || systems.Targets.FirstOrDefault(t => t.Kind == SystemKind.EverythingOn) is not { } front)
        {
            return null;
        }
        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} bench: memory of {options.Sessions} sessions");
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client => client.UseLocalhostClustering(systems.SiloGatewayPort, systems.ClusterId, systems.ClusterId));
        using var host = builder.Build();
        await host.StartAsync();
        var management = host.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);

        var sessionsBefore = await SessionGrainsAsync(management);
        var (residentBefore, heapBefore) = await SettledAsync(silo, systems.SiloHttp!, management);

        var clients = Client.For(front);
        var next = -1;
        var run = Guid.NewGuid().ToString("N")[..8];
        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(async worker =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < options.Sessions)
            {
                using var request = LatencyBench.Request(Bodies.Small);
                request.Headers.Add(Client.SessionHeader, $"bench-{run}-{i}");
                using var response = await clients[worker % clients.Length].SendAsync(request);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"session request {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }));
        foreach (var client in clients)
        {
            client.Dispose();
        }

        // Settlement reaches the session grains in batches after the responses: wait until they are all there.
        var clock = Stopwatch.StartNew();
        var activated = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(20) && (activated = await SessionGrainsAsync(management) - sessionsBefore) < options.Sessions)
        {
            await Task.Delay(250);
        }
        await Task.Delay(1000);
        var (residentAfter, heapAfter) = await SettledAsync(silo, systems.SiloHttp!, management);
        await host.StopAsync();
        return new MemoryFigures(options.Sessions, activated, residentBefore, residentAfter, heapBefore, heapAfter);
    }

    private static async Task<int> SessionGrainsAsync(IManagementGrain management) =>
        (await management.GetSimpleGrainStatistics())
            .Where(s => s.GrainType.Contains(SessionGrainType, StringComparison.Ordinal))
            .Sum(s => s.ActivationCount);

    /// <summary>Resident set and managed heap after a full, compacting GC in the silo.</summary>
    private static async Task<(long Resident, long Heap)> SettledAsync(ChildProcess silo, Uri siloHttp, IManagementGrain management)
    {
        var hosts = (await management.GetHosts(onlyActive: true)).Keys.ToArray();
        await management.ForceGarbageCollection(hosts);
        await management.ForceGarbageCollection(hosts);
        await Task.Delay(500);
        using var http = new HttpClient { BaseAddress = siloHttp };
        var metrics = await http.GetStringAsync("metrics");
        var heap = 0L;
        foreach (var line in metrics.Split('\n'))
        {
            // prometheus-net's default runtime metric: GC.GetTotalMemory(false), right after the collection above.
            if (line.StartsWith("dotnet_total_memory_bytes ", StringComparison.Ordinal))
            {
                heap = (long)double.Parse(line["dotnet_total_memory_bytes ".Length..], CultureInfo.InvariantCulture);
            }
        }
        return (silo.ResidentBytes(), heap);
    }
}
