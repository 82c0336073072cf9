using System.Diagnostics;
using System.Net;
using System.Text;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Routing;

/// <summary>A route's fallback providers take the request when the routed one is overloaded or dead, before any byte reaches the client.</summary>
public sealed class FallbackTests
{
    [Fact]
    public async Task A_529_from_the_routed_provider_goes_to_the_fallback_and_the_client_sees_the_success()
    {
        await using var primary = await FakeUpstreamServer.StartAsync();
        await using var secondary = await FakeUpstreamServer.StartAsync();
        await using var front = await RoutingHost.StartPassThroughAsync(
            RoutingHost.Provider(0, "primary", primary.BaseAddress, ("p1", "sk-p-1")),
            RoutingHost.Provider(1, "secondary", secondary.BaseAddress, ("s1", "sk-s-1")),
            new Dictionary<string, string?>
            {
                ["Routing:Rules:0:Match"] = "claude-*",
                ["Routing:Rules:0:Provider"] = "primary",
                ["Routing:Rules:0:Fallbacks:0"] = "secondary",
            });
        primary.Faults.Enqueue("529", 1);
        using var client = front.CreateClient();

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallStreamingRequest));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: message_stop", await response.Content.ReadAsStringAsync());
        Assert.Single(primary.Received, r => r.Method == "POST");
        var sent = secondary.Received.Single(r => r.Method == "POST");
        Assert.Equal("sk-s-1", RoutingHost.KeyOf(sent));
        // No alias for the fallback: the client's bytes go unchanged.
        Assert.Equal(Json.SmallStreamingRequest, Encoding.UTF8.GetString(sent.Body));
    }

    [Fact]
    public async Task A_fallback_gets_the_alias_its_own_rule_in_the_same_weighted_group_gives_it()
    {
        await using var a = await FakeUpstreamServer.StartAsync();
        await using var b = await FakeUpstreamServer.StartAsync();
        await using var front = await RoutingHost.StartPassThroughAsync(
            RoutingHost.Provider(0, "a", a.BaseAddress, ("a1", "sk-a-1")),
            RoutingHost.Provider(1, "b", b.BaseAddress, ("b1", "sk-b-1")),
            new Dictionary<string, string?>
            {
                // Half each way; each provider falls back to the other.
                ["Routing:Rules:0:Match"] = "claude-sonnet-*",
                ["Routing:Rules:0:Provider"] = "a",
                ["Routing:Rules:0:Fallbacks:0"] = "b",
                ["Routing:Rules:1:Match"] = "claude-sonnet-*",
                ["Routing:Rules:1:Provider"] = "b",
                ["Routing:Rules:1:Alias"] = "b-sonnet",
                ["Routing:Rules:1:Fallbacks:0"] = "a",
            });
        a.Faults.Enqueue("529", 1);
        using var client = front.CreateClient();

        // Routed to a: its 529 moves the request to b; routed to b: served there. Either way b serves it, aliased.
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = b.Received.Single(r => r.Method == "POST");
        Assert.Equal(Json.SmallRequest.Replace("claude-sonnet-4-5", "b-sonnet"), Encoding.UTF8.GetString(sent.Body));
    }

    [Fact]
    public async Task A_dead_provider_falls_back_at_once_and_once_its_circuit_opens_it_is_skipped()
    {
        var (deadPort, dead) = RoutingHost.DeadEndpoint();
        using var holdsDeadPort = deadPort;
        await using var secondary = await FakeUpstreamServer.StartAsync();
        await using var front = await RoutingHost.StartPassThroughAsync(
            RoutingHost.Provider(0, "primary", dead, ("p1", "sk-p-1")),
            RoutingHost.Provider(1, "secondary", secondary.BaseAddress, ("s1", "sk-s-1")),
            new Dictionary<string, string?>
            {
                ["Routing:Rules:0:Match"] = "claude-*",
                ["Routing:Rules:0:Provider"] = "primary",
                ["Routing:Rules:0:Fallbacks:0"] = "secondary",
                ["Upstream:Breaker:MinimumThroughput"] = "2",
                ["Upstream:Breaker:BreakDuration"] = "00:00:30",
            });
        using var client = front.CreateClient();

        for (var i = 0; i < 6; i++)
        {
            var clock = Stopwatch.StartNew();
            using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"request {i} took {clock.Elapsed}");
        }
        Assert.Equal(6, secondary.Received.Count(r => r.Method == "POST"));

        // Requests that match no rule have no fallback: the open circuit answers 503 at once.
        using var unrouted = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest.Replace("claude-sonnet-4-5", "other-model")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unrouted.StatusCode);
        Assert.Equal("overloaded_error", Json.AssertAnthropicError(await unrouted.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Without_a_fallback_a_529_is_still_retried_on_the_same_provider()
    {
        await using var primary = await FakeUpstreamServer.StartAsync();
        await using var front = await RoutingHost.StartPassThroughAsync(RoutingHost.Provider(0, "primary", primary.BaseAddress, ("p1", "sk-p-1")));
        primary.Faults.Enqueue("529", 1);
        using var client = front.CreateClient();
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, primary.Received.Count(r => r.Method == "POST"));
    }
}
