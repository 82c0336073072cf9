using System.Net;
using Gateway.FakeUpstream;
using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Admission;

/// <summary>
/// A session's request cap across two front processes: one session id hammered through both fronts by 8 clients
/// at once. The fronts admit from admissions the session's grain granted ahead, so together they admit exactly
/// the cap. (Deciding from settled counts for a second, as fronts did before, they admitted 1.08–1.21 of it.)
/// </summary>
[Collection(ClusterProcessCollection.Name)]
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ClusterSessionCapTests(ITestOutputHelper output)
{
    private const int Cap = 60;

    [Fact]
    public async Task Two_fronts_together_admit_exactly_a_sessions_request_cap()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { MaxRecordedRequests = 0 });
        await using var database = await TestPostgres.CreateAsync();
        await using var cluster = await ClusterProcesses.StartAsync(new ClusterProcessOptions
        {
            Silos = 1,
            Fronts = 2,
            RedisConnectionString = await TestRedis.EndpointAsync(),
            PostgresConnectionString = database.ConnectionString,
            FrontSettings = new Dictionary<string, string?>
            {
                ["Upstream:BaseUrl"] = upstream.BaseAddress.ToString(),
                ["Upstream:ApiKeys:0"] = "sk-upstream",
                ["Auth:Mode"] = "VirtualKeys",
                ["Admin:Token"] = FrontHost.AdminToken,
                ["Logging:LogLevel:Default"] = "Warning",
            },
        });
        using var admin = new HttpClient { BaseAddress = cluster.Fronts[0].HttpAddress };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", FrontHost.AdminToken);
        var key = await GatewayKeys.CreateAsync(admin, sessionLimits: new { max_requests = Cap });
        var session = Guid.NewGuid().ToString();

        var statuses = new List<HttpStatusCode>[8];
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            statuses[i] = [];
            using var client = new HttpClient { BaseAddress = cluster.Fronts[i % 2].HttpAddress, Timeout = TimeSpan.FromSeconds(10) };
            client.DefaultRequestHeaders.Add("x-api-key", key.Secret);
            client.DefaultRequestHeaders.Add("X-Claude-Code-Session-Id", session);
            // Past the cap on both fronts: every client keeps going until it has been refused five times.
            while (statuses[i].Count(s => s == HttpStatusCode.TooManyRequests) < 5)
            {
                using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
                statuses[i].Add(response.StatusCode);
            }
        })));

        var all = statuses.SelectMany(s => s).ToList();
        var admitted = all.Count(s => s == HttpStatusCode.OK);
        output.WriteLine($"admitted {admitted} of a cap of {Cap}: " + string.Join(", ", all.GroupBy(s => (int)s).Select(g => $"{g.Key}: {g.Count()}")));
        Assert.Equal(Cap, admitted);
        Assert.All(all, s => Assert.Contains(s, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
    }
}
