using System.Diagnostics;
using System.Net;
using Gateway.FakeUpstream;
using Gateway.Front.Upstreams;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.OpenAi.Provider;

/// <summary><c>Upstream:Providers:N:Breaker</c> overrides the shared <c>Upstream:Breaker</c> for one provider, field by field.</summary>
public sealed class ProviderBreakerTests
{
    [Fact]
    public async Task A_providers_own_breaker_settings_override_the_shared_ones_field_by_field()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        var (deadPort, dead) = RoutingHost.DeadEndpoint();
        using var holdsDeadPort = deadPort;
        await using var front = await RoutingHost.StartPassThroughAsync(
            RoutingHost.Provider(0, "anthropic", upstream.BaseAddress, ("a1", "sk-a-1")),
            RoutingHost.Provider(1, "oai", dead, ("o1", "sk-o-1")),
            new Dictionary<string, string?>
            {
                ["Upstream:Providers:1:Kind"] = "openai",
                ["Upstream:Providers:1:Breaker:MinimumThroughput"] = "2",
                ["Upstream:Providers:1:Breaker:BreakDuration"] = "00:00:30",
                ["Upstream:Breaker:MinimumThroughput"] = "50",
                ["Upstream:Breaker:FailureRatio"] = "0.75",
                ["Upstream:MaxRetries"] = "0",
                ["Routing:Rules:0:Match"] = "gpt-*",
                ["Routing:Rules:0:Provider"] = "oai",
            });

        var directory = front.Services.GetRequiredService<UpstreamDirectory>();
        var own = directory.Find("oai")!.BreakerSettings;
        Assert.Equal(2, own.MinimumThroughput);
        Assert.Equal(TimeSpan.FromSeconds(30), own.BreakDuration);
        Assert.Equal(0.75, own.FailureRatio);
        Assert.Equal(50, directory.Find("anthropic")!.BreakerSettings.MinimumThroughput);

        using var client = front.CreateClient();
        for (var i = 0; i < 2; i++)
        {
            using var down = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest.Replace("claude-sonnet-4-5", "gpt-4o")));
            Assert.Equal(HttpStatusCode.BadGateway, down.StatusCode);
        }
        // Two failures open this provider's circuit (the shared setting would need 50): a fast 503.
        var clock = Stopwatch.StartNew();
        using var open = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest.Replace("claude-sonnet-4-5", "gpt-4o")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, open.StatusCode);
        Assert.Equal("overloaded_error", Json.AssertAnthropicError(await open.Content.ReadAsStringAsync()));
        Assert.InRange(int.Parse(open.Headers.GetValues("retry-after").Single()), 25, 30);
        // The other provider keeps its own (closed) circuit.
        using var fine = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
    }
}
