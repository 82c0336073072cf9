using System.Net;
using Gateway.FakeUpstream;
using static Gateway.Tests.FakeUpstream.FakeUpstreamTestKit;

namespace Gateway.Tests.FakeUpstream;

public sealed class RateLimitTests
{
    [Fact]
    public async Task A_key_over_its_limit_gets_429_with_retry_after_and_headers()
    {
        var clock = new ManualTimeProvider();
        await using var server = await FakeUpstreamServer.StartWithStateAsync(new FakeUpstreamState(new() { RequestsPerMinutePerKey = 2 }, clock));
        using var http = Client(server);

        using var first = await http.SendAsync(Post("v1/messages", Body(), key: "team-a"));
        using var second = await http.SendAsync(Post("v1/messages", Body(), key: "team-a"));
        using var third = await http.SendAsync(Post("v1/messages", Body(), key: "team-a"));
        using var otherKey = await http.SendAsync(Post("v1/messages", Body(), key: "team-b"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("2", Header(first, "anthropic-ratelimit-requests-limit"));
        Assert.Equal("1", Header(first, "anthropic-ratelimit-requests-remaining"));
        Assert.Equal("0", Header(second, "anthropic-ratelimit-requests-remaining"));

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("rate_limit_error", await ErrorTypeAsync(third));
        Assert.Equal("30", Header(third, "retry-after")); // one request back every 60/2 s
        Assert.Equal("0", Header(third, "anthropic-ratelimit-requests-remaining"));
        Assert.Equal("2026-01-01T12:01:00Z", Header(third, "anthropic-ratelimit-requests-reset"));

        Assert.Equal(HttpStatusCode.OK, otherKey.StatusCode);

        clock.Advance(TimeSpan.FromSeconds(30));
        using var afterWaiting = await http.SendAsync(Post("v1/messages", Body(), key: "team-a"));
        Assert.Equal(HttpStatusCode.OK, afterWaiting.StatusCode);
    }

    [Fact]
    public async Task Bearer_keys_are_limited_like_x_api_key()
    {
        await using var server = await FakeUpstreamServer.StartAsync(new() { RequestsPerMinutePerKey = 60 });
        using var http = Client(server);
        HttpRequestMessage Bearer()
        {
            var request = Post("v1/messages", Body(), key: null);
            request.Headers.Authorization = new("Bearer", "token-1");
            return request;
        }

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 61 && limited is null; i++)
        {
            var response = await http.SendAsync(Bearer());
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        Assert.True(statuses.Count >= 60, $"limited after {statuses.Count} requests");
        Assert.Equal("1", Header(limited!, "retry-after"));
        limited!.Dispose();
    }

    [Fact]
    public async Task Unlimited_keys_see_constant_generous_headers()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);

        for (var i = 0; i < 3; i++)
        {
            using var response = await http.SendAsync(Post("v1/messages", Body()));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(Header(response, "anthropic-ratelimit-requests-limit"), Header(response, "anthropic-ratelimit-requests-remaining"));
            Assert.Equal(Header(response, "anthropic-ratelimit-input-tokens-limit"), Header(response, "anthropic-ratelimit-input-tokens-remaining"));
        }
    }
}
