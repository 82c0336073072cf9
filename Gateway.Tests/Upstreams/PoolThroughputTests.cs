using System.Diagnostics;
using System.Globalization;
using System.Net;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;
using Xunit.Abstractions;

namespace Gateway.Tests.Upstreams;

/// <summary>
/// Measurement: a pool of three keys, each limited by the fake upstream, hammered through the gateway.
/// Reports the combined requests per minute achieved against the sum of the three limits and the
/// client-visible errors. Scaled down by default (300 requests/min per key, 10 s windows);
/// <c>GATEWAY_POOL_BENCH_RPM=60 GATEWAY_POOL_BENCH_SECONDS=60</c> runs the full-minute version.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class PoolThroughputTests(ITestOutputHelper output)
{
    private static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    [Fact]
    public async Task A_pool_of_three_limited_keys_delivers_close_to_the_sum_of_their_limits()
    {
        var perKey = Env("GATEWAY_POOL_BENCH_RPM", 300);
        var seconds = Env("GATEWAY_POOL_BENCH_SECONDS", 10);
        (string, string)[] keys = [("k1", "sk-bench-1"), ("k2", "sk-bench-2"), ("k3", "sk-bench-3")];
        var combined = perKey * keys.Length;
        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions
        {
            ApiKeys = keys.Select(k => k.Item2).ToArray(),
            RequestsPerMinutePerKey = perKey,
            MaxRecordedRequests = 0,
        });
        await using var front = await RoutingHost.StartPassThroughAsync(RoutingHost.Provider(0, "anthropic", upstream.BaseAddress, keys));
        using var client = front.CreateClient();

        // 1. Empty the three buckets (they start full: one minute's worth each).
        var drain = await HammerAsync(client, TimeSpan.FromSeconds(30), workers: 16, stopAtFirst429: true);
        output.WriteLine($"drain: {drain.Ok} admitted from full buckets (capacity {combined}), {drain.RateLimited} x 429, {drain.Errors} other errors");

        // 2. Saturate: 16 clients as fast as they can, honouring the gateway's retry-after like the SDKs do.
        var hammer = await HammerAsync(client, TimeSpan.FromSeconds(seconds), workers: 16, stopAtFirst429: false);
        var achieved = hammer.Ok * 60.0 / hammer.Elapsed.TotalSeconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"saturated {hammer.Elapsed.TotalSeconds:0.0} s: {hammer.Ok} ok = {achieved:0} req/min vs {combined} req/min combined limit ({achieved / combined:P1}); "
            + $"client-visible: {hammer.RateLimited} x 429 (pool exhausted, retry-after given), {hammer.Errors} other errors"));

        // 3. Paced at 80 % of the combined limit: the pool has headroom, so the client must see no error.
        // (First let the cool-downs of the saturated phase end: retry-after is whole seconds.)
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var paced = await PacedAsync(client, TimeSpan.FromSeconds(seconds), perMinute: combined * 0.8);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"paced at {combined * 0.8:0} req/min for {seconds} s: {paced.Ok} ok, client-visible errors: {paced.RateLimited} x 429, {paced.Errors} other"));

        Assert.Equal(0, drain.Errors + hammer.Errors + paced.Errors);
        Assert.InRange(achieved, combined * 0.8, combined * 1.15); // scaled-down runs: 90–95 %; whole-second retry-after idles a key a little longer than needed
        Assert.Equal(0, paced.RateLimited);
    }

    private sealed record Tally(int Ok, int RateLimited, int Errors, TimeSpan Elapsed);

    private static async Task<Tally> HammerAsync(HttpClient client, TimeSpan window, int workers, bool stopAtFirst429)
    {
        int ok = 0, limited = 0, errors = 0;
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(window);
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref ok);
                    continue;
                }
                if (response.StatusCode == (HttpStatusCode)429)
                {
                    Interlocked.Increment(ref limited);
                    if (stopAtFirst429)
                    {
                        await stop.CancelAsync();
                        break;
                    }
                    var wait = response.Headers.TryGetValues("retry-after-ms", out var ms) ? int.Parse(ms.First(), CultureInfo.InvariantCulture) : 1000;
                    try
                    {
                        await Task.Delay(wait, stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                    continue;
                }
                Interlocked.Increment(ref errors);
            }
        }));
        return new Tally(ok, limited, errors, clock.Elapsed);
    }

    private static async Task<Tally> PacedAsync(HttpClient client, TimeSpan window, double perMinute)
    {
        int ok = 0, limited = 0, errors = 0;
        var interval = TimeSpan.FromMinutes(1) / perMinute;
        var clock = Stopwatch.StartNew();
        var pending = new List<Task>();
        for (var n = 0; clock.Elapsed < window; n++)
        {
            var due = interval * n;
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }
            pending.Add(Task.Run(async () =>
            {
                using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref ok);
                }
                else if (response.StatusCode == (HttpStatusCode)429)
                {
                    Interlocked.Increment(ref limited);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                }
            }));
        }
        await Task.WhenAll(pending);
        return new Tally(ok, limited, errors, clock.Elapsed);
    }
}
