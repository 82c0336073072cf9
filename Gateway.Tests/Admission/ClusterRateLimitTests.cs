using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gateway.FakeUpstream;
using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Gateway.Tests.Admission;

/// <summary>
/// The heart of the product, with real processes: 2 silos and 2 fronts on Redis clustering and
/// Postgres, one key limited to 600 requests/min hammered through both fronts for a minute, and the
/// silo holding the key's grain killed (SIGKILL) a third of the way in. The admitted count must stay
/// within the limit and the spend in Postgres must equal, to the cent's hundred-millionth, the usage
/// the clients received.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ClusterRateLimitTests(ITestOutputHelper output)
{
    private const int Limit = 600;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_key_limit_holds_across_two_fronts_and_a_killed_silo_and_no_spend_is_lost()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { MaxRecordedRequests = 0 });
        await using var database = await TestPostgres.CreateAsync();
        await using var cluster = await ClusterProcesses.StartAsync(new ClusterProcessOptions
        {
            Silos = 2,
            Fronts = 2,
            RedisConnectionString = await TestRedis.EndpointAsync(),
            PostgresConnectionString = database.ConnectionString,
            FrontSettings = new Dictionary<string, string?>
            {
                ["Upstream:BaseUrl"] = upstream.BaseAddress.ToString(),
                ["Upstream:ApiKeys:0"] = "sk-upstream",
                ["Auth:Mode"] = "VirtualKeys",
                ["Admin:Token"] = FrontHost.AdminToken,
                ["Settlement:FlushInterval"] = "00:00:00.050",
                ["Logging:LogLevel:Default"] = "Warning",
            },
        });
        using var admin = new HttpClient { BaseAddress = cluster.Fronts[0].HttpAddress };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", FrontHost.AdminToken);
        var key = await GatewayKeys.CreateAsync(admin, limits: new { requests_per_minute = Limit });

        var results = new ConcurrentQueue<(TimeSpan At, HttpStatusCode Status, long Input, long Output, int Front)>();
        var clock = Stopwatch.StartNew();
        var windowStart = TimeSpan.MaxValue;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 8).Select(i => Task.Run(() => HammerAsync(cluster.Fronts[i % 2].HttpAddress, i % 2, key.Secret, clock, results, stop.Token))).ToArray();

        // The bucket starts full (a minute's worth): drain it, including what each front still holds
        // of it (both fronts refuse), then count a minute of steady state.
        while (results.Where(r => r.Status == HttpStatusCode.TooManyRequests).Select(r => r.Front).Distinct().Count() < 2)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the key was never limited");
            await Task.Delay(50);
        }
        windowStart = clock.Elapsed;

        await Task.Delay(Window / 3);
        var victim = await cluster.SiloHostingAsync(key.KeyId);
        output.WriteLine($"killing {cluster.Silos[victim].Name} (hosts the key's grain) at {(clock.Elapsed - windowStart).TotalSeconds:0.0} s into the window");
        cluster.Silos[victim].Kill();

        await Task.Delay(windowStart + Window - clock.Elapsed);
        stop.Cancel();
        await Task.WhenAll(workers);

        var inWindow = results.Where(r => r.At >= windowStart && r.At < windowStart + Window).ToList();
        var admitted = inWindow.Count(r => r.Status == HttpStatusCode.OK);
        var byStatus = string.Join(", ", inWindow.GroupBy(r => (int)r.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));
        var ratio = admitted / (double)Limit;
        output.WriteLine($"admitted {admitted} in {Window.TotalSeconds:0} s for a limit of {Limit}/min: ratio {ratio:0.000} ({byStatus})");
        // The protocol's guarantee under demand far above the limit, silo kill included: what the fronts hold unused is
        // a few requests at most (no slice is fetched ahead at a contended key, expired slices are handed back whole),
        // and a new activation may re-grant at most what was granted since the last save of the levels (250 ms).
        Assert.True(ratio <= 1.02, $"over-admitted: {admitted} for {Limit} ({byStatus})\n{cluster.Logs(30)}");
        // 0.96 below: a point of margin under the bench's 0.97 for a loaded 2-core CI machine during the kill; the
        // under-admission this guards against (an idle front destroying a token a second, slices fetched ahead and
        // left unused) cost 5-20 %.
        Assert.True(ratio >= 0.96, $"under-admitted: {admitted} for {Limit} ({byStatus})\n{cluster.Logs(30)}");

        // Every answered request is billed exactly once, silo kill or not.
        var served = results.Where(r => r.Status == HttpStatusCode.OK).ToList();
        var expected = served.Sum(r => r.Input * 3m / 1_000_000m + r.Output * 15m / 1_000_000m);
        decimal spent = -1;
        var settle = Stopwatch.StartNew();
        while (settle.Elapsed < TimeSpan.FromSeconds(15) && spent != expected)
        {
            await using var query = database.DataSource.CreateCommand("SELECT coalesce(sum(spent_usd), 0) FROM key_spend WHERE key_id = $1");
            query.Parameters.Add(new NpgsqlParameter { Value = key.KeyId });
            spent = (decimal)(await query.ExecuteScalarAsync())!;
            await Task.Delay(200);
        }
        output.WriteLine($"served {served.Count} requests; usage priced by the clients ${expected:0.########}, spend in Postgres ${spent:0.########}");
        Assert.Equal(expected, spent);
    }

    private static async Task HammerAsync(Uri front, int frontIndex, string secret, Stopwatch clock,
        ConcurrentQueue<(TimeSpan, HttpStatusCode, long, long, int)> results, CancellationToken stop)
    {
        using var client = new HttpClient { BaseAddress = front, Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Add("x-api-key", secret);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest), stop);
                var body = await response.Content.ReadAsStringAsync(stop);
                long input = 0, output = 0;
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var usage = JsonDocument.Parse(body).RootElement.GetProperty("usage");
                    input = usage.GetProperty("input_tokens").GetInt64();
                    output = usage.GetProperty("output_tokens").GetInt64();
                }
                results.Enqueue((clock.Elapsed, response.StatusCode, input, output, frontIndex));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    await Task.Delay(10, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                results.Enqueue((clock.Elapsed, HttpStatusCode.GatewayTimeout, 0, 0, frontIndex));
            }
        }
    }
}
