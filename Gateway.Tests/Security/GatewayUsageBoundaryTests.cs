using System.Net;
using System.Text;
using Gateway.Front.SelfService;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Reliability;

namespace Gateway.Tests.Security;

/// <summary>
/// <c>GET /gateway/usage</c>, the one path outside <c>/v1</c> a key reaches, is owned by the gateway: it answers only
/// for the key that authenticated (no parameter or second credential names another), never reaches the upstream,
/// is never metered or charged, and no spelling of a neighbouring path does more than a 4xx.
/// </summary>
public sealed class GatewayUsageBoundaryTests(PathPolicyHost host) : IClassFixture<PathPolicyHost>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Usage_answers_only_for_the_caller_whatever_else_the_request_names()
    {
        var attacker = await host.TenantAsync();
        var victim = await host.TenantAsync(limits: new { daily_budget_usd = 3 });
        var marker = await host.TenantAsync();
        var before = host.Upstream.Received.Count;

        using (var client = host.Client(attacker.Secret))
        {
            foreach (var query in new[] { "", $"?key_id={victim.KeyId}", $"?id={victim.KeyId}&team_id={victim.TeamId}", $"?format=json&key={victim.KeyId}" })
            {
                var body = await client.GetStringAsync(SelfServiceEndpoints.UsagePath.TrimStart('/') + query);
                var usage = Json.Parse(body);
                Assert.Equal(attacker.KeyId, usage.GetProperty("id").GetString());
                Assert.DoesNotContain(victim.TeamId, body);
                Assert.DoesNotContain("\"daily_budget_usd\":3", body);
            }

            // A second credential in the same request is not looked at: x-api-key wins, as on /v1/messages.
            using var both = new HttpRequestMessage(HttpMethod.Get, "gateway/usage");
            both.Headers.Add("Authorization", "Bearer " + victim.Secret);
            using var response = await client.SendAsync(both);
            Assert.Equal(attacker.KeyId, Json.Parse(await response.Content.ReadAsStringAsync()).GetProperty("id").GetString());
        }

        // The bearer form alone is the victim's own key, and shows the victim's own figures.
        using (var bearer = new HttpClient { BaseAddress = host.Front.BaseAddress })
        {
            bearer.DefaultRequestHeaders.Add("Authorization", "Bearer " + victim.Secret);
            Assert.Equal(victim.KeyId, Json.Parse(await bearer.GetStringAsync("gateway/usage")).GetProperty("id").GetString());
        }

        Assert.Empty(host.ReceivedSince(before));
        await host.SettleAsync(marker);
        await host.AssertNothingChargedAsync(attacker);
        await host.AssertNothingChargedAsync(victim);
    }

    [Theory]
    [InlineData("GET", "/gateway")]
    [InlineData("GET", "/gateway/")]
    [InlineData("GET", "/gateway/usage/key_000000000000")]
    [InlineData("GET", "/gateway/keys")]
    [InlineData("POST", "/gateway/usage")]
    [InlineData("DELETE", "/gateway/usage")]
    [InlineData("GET", "/v1/../gateway/usage")]
    [InlineData("GET", "/v1/gateway/usage")]
    public async Task Neighbouring_paths_get_a_4xx_and_reach_nothing(string method, string path)
    {
        var (attacker, reply) = await ProbeAsync(method, path);
        Assert.True(reply.Status is >= 400 and < 500, $"{method} {path}: {reply.Status} {reply.Body}");
        Assert.DoesNotContain(attacker.KeyId, reply.Body);
    }

    [Theory]
    [InlineData("/gateway/usage/")]
    [InlineData("/GATEWAY/Usage")]
    [InlineData("/gateway/usage?format=text&format=text")]
    public async Task Spellings_routing_folds_onto_usage_still_answer_only_for_the_caller(string path)
    {
        // ASP.NET routing ignores case and a trailing slash outside /v1 (the canonical-path rule is the API's): the same
        // owned endpoint answers, for the caller alone, or refuses.
        var attacker = await host.TenantAsync();
        var before = host.Upstream.Received.Count;
        using var client = host.Client(attacker.Secret);
        using var response = await client.GetAsync(path.TrimStart('/'));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode} {body}");
        if (response.StatusCode == HttpStatusCode.OK)
        {
            Assert.Equal(attacker.KeyId, Json.Parse(body).GetProperty("id").GetString());
        }
        Assert.Empty(host.ReceivedSince(before));
    }

    /// <summary>One raw request with a fresh key; asserts that nothing reached the upstream or the key's books.</summary>
    private async Task<(GatewayKeys.CreatedKey Key, RawHttp.Reply Reply)> ProbeAsync(string method, string path)
    {
        var attacker = await host.TenantAsync();
        var marker = await host.TenantAsync();
        var before = host.Upstream.Received.Count;

        var body = Encoding.UTF8.GetBytes(method == "GET" ? "" : "{}");
        var head = RawHttp.Head(host.Front.BaseAddress, method, path, [$"x-api-key: {attacker.Secret}"], body.Length);
        var reply = await RawHttp.SendAsync(host.Front.BaseAddress, RawHttp.Concat(head, body), Deadline);

        Assert.Empty(host.ReceivedSince(before));
        await host.SettleAsync(marker);
        await host.AssertNothingChargedAsync(attacker);
        return (attacker, reply);
    }
}
