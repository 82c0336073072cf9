using System.Net;
using Gateway.FakeUpstream;
using Gateway.Grains.Abstractions;
using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Upstreams;

/// <summary>With virtual keys the pool's view is shared through <see cref="IUpstreamKeyGrain"/>: one front's 429 cools the key everywhere.</summary>
public sealed class ClusterCoolDownTests
{
    private static readonly (string Id, string Secret)[] Keys = [("k1", "sk-cluster-1"), ("k2", "sk-cluster-2")];

    [Fact]
    public async Task A_429_is_recorded_in_the_keys_grain_and_a_cool_down_from_the_grain_steers_the_front()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ApiKeys = Keys.Select(k => k.Secret).ToArray() });
        await using var front = await RoutingHost.StartWithKeysAsync(RoutingHost.Provider(0, "main", upstream.BaseAddress, Keys));
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        using var client = front.CreateClient(key.Secret);
        var grains = front.Services.GetRequiredService<IGrainFactory>();

        upstream.Faults.Enqueue("429", 1);
        using (var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var limited = RoutingHost.KeyOf(upstream.Received.First(r => r.Method == "POST"));
        var limitedId = Keys.Single(k => k.Secret == limited).Id;
        var otherId = Keys.Single(k => k.Secret != limited).Id;

        // Reported off the response path, within a sync interval or two.
        await Eventually.HoldsAsync("the 429 cool-down reaches the key's grain", async () =>
        {
            var state = await grains.GetGrain<IUpstreamKeyGrain>(UpstreamKeyGrainKey.Of("main", limitedId)).GetAsync();
            // A 429 cools the key for the request's model class only (Json.SmallRequest asks for Sonnet).
            return state.CoolDowns >= 1 && state.CoolDownFor(ModelClass.Sonnet) > DateTimeOffset.UtcNow.AddMilliseconds(-900)
                && state.Requests is { Limit: > 0 };
        }, TimeSpan.FromSeconds(5));
        var healthy = await grains.GetGrain<IUpstreamKeyGrain>(UpstreamKeyGrainKey.Of("main", otherId)).GetAsync();
        Assert.Equal(0, healthy.CoolDowns);

        // Another front (simulated through the grain) saw the other key limited for 30 s: this front
        // learns it on its next sync and sends nothing with that key.
        var otherSecret = Keys.Single(k => k.Id == otherId).Secret;
        await grains.GetGrain<IUpstreamKeyGrain>(UpstreamKeyGrainKey.Of("main", otherId))
            .ReportAsync(new UpstreamKeyState { CoolDownUntil = DateTimeOffset.UtcNow.AddSeconds(30), CoolDowns = 1 });
        await Task.Delay(1500); // the first key's own 1 s cool-down ends; two sync rounds pass
        upstream.ClearReceived();
        for (var i = 0; i < 6; i++)
        {
            using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.DoesNotContain(upstream.Received, r => RoutingHost.KeyOf(r) == otherSecret);
        Assert.Equal(6, upstream.Received.Count(r => r.Method == "POST"));
    }
}
