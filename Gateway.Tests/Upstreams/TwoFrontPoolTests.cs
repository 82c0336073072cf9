using System.Globalization;
using System.Net;
using Gateway.FakeUpstream;
using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;
using Xunit.Abstractions;

namespace Gateway.Tests.Upstreams;

/// <summary>
/// Two front processes and a silo sharing one pool of three upstream keys, each limited by the fake
/// upstream. What one front learns (headroom, a 429's cool-down) reaches the other through the keys'
/// grains, so: the whole combined budget is served with no client-visible error, and once the pool is
/// spent the upstream sees each key's 429 about once for the whole cluster, not once per front.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class TwoFrontPoolTests(ITestOutputHelper output)
{
    private const int PerKey = 6;
    private static readonly (string Id, string Secret)[] Keys = [("k1", "sk-two-front-1"), ("k2", "sk-two-front-2"), ("k3", "sk-two-front-3")];

    /// <summary>Longer than the pool's sync interval (250 ms), so each front sees the other's last answer.</summary>
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(400);

    /// <summary>
    /// Past the budget a 429 is pushed to the key's grain at once and pulled by the other front within its
    /// interval; the wider pace leaves room for a loaded two-core machine's grain calls.
    /// </summary>
    private static readonly TimeSpan PastBudgetPace = TimeSpan.FromMilliseconds(700);

    [Fact]
    public async Task Two_fronts_share_one_pool_serve_its_combined_budget_and_stop_calling_spent_keys_together()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions
        {
            ApiKeys = Keys.Select(k => k.Secret).ToArray(),
            RequestsPerMinutePerKey = PerKey,
            MaxRecordedRequests = 0,
        });
        await using var database = await TestPostgres.CreateAsync();
        await using var cluster = await ClusterProcesses.StartAsync(new ClusterProcessOptions
        {
            Silos = 1,
            Fronts = 2,
            RedisConnectionString = await TestRedis.EndpointAsync(),
            PostgresConnectionString = database.ConnectionString,
            FrontSettings = RoutingHost.Merge(RoutingHost.Provider(0, "anthropic", upstream.BaseAddress, Keys), new Dictionary<string, string?>
            {
                ["Auth:Mode"] = "VirtualKeys",
                ["Admin:Token"] = FrontHost.AdminToken,
                ["Logging:LogLevel:Default"] = "Warning",
            }),
        });
        using var admin = new HttpClient { BaseAddress = cluster.Fronts[0].HttpAddress };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", FrontHost.AdminToken);
        var key = await GatewayKeys.CreateAsync(admin);
        var clients = cluster.Fronts.Select(f =>
        {
            var c = new HttpClient { BaseAddress = f.HttpAddress, Timeout = TimeSpan.FromSeconds(15) };
            c.DefaultRequestHeaders.Add("x-api-key", key.Secret);
            return c;
        }).ToArray();

        // 1. The combined budget (3 keys x 6), alternating fronts: every request served.
        var combined = PerKey * Keys.Length;
        var served = new List<HttpStatusCode>();
        for (var i = 0; i < combined; i++)
        {
            served.Add(await SendAsync(clients[i % 2]));
            await Task.Delay(Pace);
        }
        var upstream429sWhileHeadroom = upstream.State.RateLimitedResponses;

        // 2. Past the budget: the first front to find the pool spent pays for it; the other is told by the grains.
        var overBudget = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            overBudget.Add(await SendAsync(clients[i % 2]));
            await Task.Delay(PastBudgetPace);
        }
        var upstream429sPastBudget = upstream.State.RateLimitedResponses - upstream429sWhileHeadroom;

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"with headroom: {served.Count(s => s == HttpStatusCode.OK)}/{combined} ok ({Tally(served)}), upstream 429s absorbed: {upstream429sWhileHeadroom}"));
        output.WriteLine($"past the budget: {Tally(overBudget)}; upstream 429s: {upstream429sPastBudget} (one per key = {Keys.Length}; unshared pools would pay {Keys.Length} per front)");

        Assert.All(served, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Contains(HttpStatusCode.TooManyRequests, overBudget);
        Assert.All(overBudget, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"unexpected {s}"));
        // One 429 per key for the cluster; a key whose bucket refilled a token (one every 10 s here) serves
        // a request and may then be met spent once more. Unshared pools cost one 429 per key per front (6+).
        Assert.InRange(upstream429sPastBudget, 1, Keys.Length + overBudget.Count(s => s == HttpStatusCode.OK));

        foreach (var c in clients)
        {
            c.Dispose();
        }
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client)
    {
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        await response.Content.ReadAsByteArrayAsync();
        return response.StatusCode;
    }

    private static string Tally(IEnumerable<HttpStatusCode> statuses) =>
        string.Join(", ", statuses.GroupBy(s => (int)s).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));
}
