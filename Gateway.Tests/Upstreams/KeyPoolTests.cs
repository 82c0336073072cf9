using System.Net;
using Gateway.FakeUpstream;
using Gateway.Front.Upstreams;
using Gateway.Grains.Abstractions;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;

namespace Gateway.Tests.Upstreams;

/// <summary>A provider's pool of upstream keys in pass-through mode (local view only, no cluster).</summary>
public sealed class KeyPoolTests
{
    private static readonly (string Id, string Secret)[] Keys = [("k1", "sk-pool-1"), ("k2", "sk-pool-2"), ("k3", "sk-pool-3")];

    [Fact]
    public async Task A_429_from_one_key_is_retried_on_another_key_and_the_client_sees_only_the_success()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ApiKeys = Keys.Select(k => k.Secret).ToArray() });
        await using var front = await RoutingHost.StartPassThroughAsync(RoutingHost.Provider(0, "anthropic", upstream.BaseAddress, Keys));
        using var client = front.CreateClient();
        upstream.Faults.Enqueue("429", 1);

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallStreamingRequest));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: message_stop", await response.Content.ReadAsStringAsync());
        var posts = upstream.Received.Where(r => r.Method == "POST").ToArray();
        Assert.Equal(2, posts.Length);
        Assert.NotEqual(RoutingHost.KeyOf(posts[0]), RoutingHost.KeyOf(posts[1]));

        // The limited key cools down for its retry-after (1 s): the next requests avoid it.
        upstream.ClearReceived();
        for (var i = 0; i < 4; i++)
        {
            using var next = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        }
        Assert.DoesNotContain(upstream.Received, r => RoutingHost.KeyOf(r) == RoutingHost.KeyOf(posts[0]));
    }

    [Fact]
    public async Task Requests_spread_over_the_pool_so_a_pool_of_three_limited_keys_serves_three_times_one_key_without_errors()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions
        {
            ApiKeys = Keys.Select(k => k.Secret).ToArray(),
            RequestsPerMinutePerKey = 30,
        });
        await using var front = await RoutingHost.StartPassThroughAsync(RoutingHost.Provider(0, "anthropic", upstream.BaseAddress, Keys));
        using var client = front.CreateClient();

        // 85 of the 90 the three buckets hold, four at a time: every one succeeds.
        var statuses = new List<HttpStatusCode>();
        var gate = new SemaphoreSlim(4);
        await Task.WhenAll(Enumerable.Range(0, 85).Select(async _ =>
        {
            await gate.WaitAsync();
            try
            {
                using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
                lock (statuses)
                {
                    statuses.Add(response.StatusCode);
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var perKey = upstream.Received.Where(r => r.Method == "POST").GroupBy(RoutingHost.KeyOf).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3, perKey.Count);
        Assert.All(perKey.Values, count => Assert.InRange(count, 20, 40));
    }

    [Fact]
    public async Task When_every_key_is_cooling_down_the_gateway_answers_429_with_the_soonest_retry_after_without_calling_upstream()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ApiKeys = Keys.Select(k => k.Secret).ToArray() });
        await using var front = await RoutingHost.StartPassThroughAsync(RoutingHost.Provider(0, "anthropic", upstream.BaseAddress, Keys));
        using var client = front.CreateClient();
        upstream.Faults.Enqueue("429", 3);

        // Each key answers 429 in turn; the last key's 429 goes to the client exactly as the upstream sent it.
        using var first = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal((HttpStatusCode)429, first.StatusCode);
        Assert.Equal("1", first.Headers.GetValues("retry-after").Single());
        Assert.DoesNotContain("req_gw_", first.Headers.GetValues("request-id").Single());
        Assert.Equal(3, upstream.Received.Select(RoutingHost.KeyOf).Distinct().Count());

        // Now the whole pool cools down: the gateway answers at once, naming when a key is free again.
        upstream.ClearReceived();
        using var second = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal((HttpStatusCode)429, second.StatusCode);
        Assert.Equal("rate_limit_error", Json.AssertAnthropicError(await second.Content.ReadAsStringAsync()));
        Assert.StartsWith("req_gw_", second.Headers.GetValues("request-id").Single());
        Assert.Equal("true", second.Headers.GetValues("x-should-retry").Single());
        Assert.InRange(long.Parse(second.Headers.GetValues("retry-after-ms").Single()), 1, 1000);
        Assert.Empty(upstream.Received);

        // After the retry-after the pool serves again.
        await Task.Delay(1100);
        using var third = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
    }

    [Fact]
    public async Task The_flat_configuration_still_works_as_one_provider_named_anthropic()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ApiKeys = ["sk-a", "sk-b"] });
        await using var front = await FrontHost.StartAsync(upstream.BaseAddress, new Dictionary<string, string?>
        {
            ["Upstream:ApiKeys:0"] = "sk-a",
            ["Upstream:ApiKeys:1"] = "sk-b",
        });
        using var client = front.CreateClient();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(["sk-a", "sk-b"], upstream.Received.Select(RoutingHost.KeyOf).Distinct().Order().ToArray());
    }
    [Fact]
    public void A_cool_down_of_one_model_class_leaves_the_key_to_the_others_here_and_through_the_keys_grain()
    {
        var now = DateTimeOffset.UtcNow;
        var limited = new PooledKey("p", UpstreamCredential.From("sk-a"), new KeyPoolOptions());
        var pool = new KeyPool([limited]);
        limited.CoolDown(TimeSpan.FromSeconds(5), now, ModelClass.Haiku);

        Assert.Null(pool.Pick(now, modelClass: ModelClass.Haiku));
        Assert.Same(limited, pool.Pick(now, modelClass: ModelClass.Sonnet));
        Assert.Same(limited, pool.Pick(now, modelClass: ModelClass.Other));
        Assert.Equal(now.AddSeconds(5), pool.SoonestAvailable(ModelClass.Haiku));
        Assert.Same(limited, pool.Pick(now.AddSeconds(5.1), modelClass: ModelClass.Haiku));

        // The report for the key's grain carries the class; another front applying it cools the same class only.
        var report = limited.TakePending()!;
        var merged = UpstreamKeyState.Empty.Merge(report);
        Assert.Equal(now.AddSeconds(5), merged.CoolDownFor(ModelClass.Haiku));
        Assert.Equal(default, merged.CoolDownFor(ModelClass.Opus));
        var elsewhere = new PooledKey("p", UpstreamCredential.From("sk-a"), new KeyPoolOptions());
        elsewhere.Apply(merged);
        Assert.True(elsewhere.IsCooling(now, ModelClass.Haiku));
        Assert.False(elsewhere.IsCooling(now, ModelClass.Opus));
    }

    [Theory]
    [InlineData("claude-opus-4-5-20251101", ModelClass.Opus)]
    [InlineData("claude-3-7-sonnet-latest", ModelClass.Sonnet)]
    [InlineData("CLAUDE-HAIKU-4-5", ModelClass.Haiku)]
    [InlineData("gpt-4o", ModelClass.Other)]
    [InlineData("", ModelClass.Other)]
    [InlineData(null, ModelClass.Other)]
    public void Model_classes_come_from_the_model_id(string? model, ModelClass expected) =>
        Assert.Equal(expected, ModelClasses.Of(model));
}
