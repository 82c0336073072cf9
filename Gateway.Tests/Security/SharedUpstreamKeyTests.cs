using System.Net;
using Gateway.FakeUpstream;
using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Security;

/// <summary>
/// Every team shares the pool's upstream keys (here: one). A 429 one team's request causes is answered
/// to that team as the upstream gave it, and cools the key only for what it limits: that model class,
/// for the time the upstream gave, and not at all when its own headers show the bucket has room left.
/// </summary>
public sealed class SharedUpstreamKeyTests(TenantPoolHost host) : IClassFixture<TenantPoolHost>
{
    private const string MessagesPath = "/v1/messages";

    [Fact]
    public async Task A_429_on_one_model_class_goes_to_its_sender_and_leaves_the_other_classes_open()
    {
        var teamA = await GatewayKeys.CreateAsync(host.Admin);
        var teamB = await GatewayKeys.CreateAsync(host.Admin);
        using var a = host.Client(teamA.Secret);
        using var b = host.Client(teamB.Secret);

        // Team A's Haiku request empties the upstream key's Haiku bucket (the fake's 429: remaining 0, retry-after 1 s).
        using var limited = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(TenantPoolHost.Request("claude-haiku-4-5")) };
        limited.Headers.Add(FakeUpstreamHeaders.Fault, "429");
        using (var response = await a.SendAsync(limited))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal("rate_limit_error", Json.AssertAnthropicError(body));
            // The upstream's own answer, wording and back-off included, not the gateway's.
            Assert.Contains("exceed your organization's rate limit", body);
            Assert.Equal("1", response.Headers.GetValues("retry-after").Single());
            Assert.StartsWith("req_", response.Headers.GetValues("request-id").Single());
        }

        // Team B on another class goes through at once.
        var sonnetBefore = host.Received(MessagesPath, "claude-sonnet-4-5");
        for (var i = 0; i < 3; i++)
        {
            using var sonnet = await b.PostAsync("v1/messages", Json.Body(TenantPoolHost.Request("claude-sonnet-4-5")));
            Assert.Equal(HttpStatusCode.OK, sonnet.StatusCode);
        }
        Assert.Equal(sonnetBefore + 3, host.Received(MessagesPath, "claude-sonnet-4-5"));

        // Team B on the exhausted class is told to wait by the gateway, without spending the upstream's patience.
        var haikuBefore = host.Received(MessagesPath, "claude-haiku-4-5");
        using (var haiku = await b.PostAsync("v1/messages", Json.Body(TenantPoolHost.Request("claude-haiku-4-5"))))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, haiku.StatusCode);
            Assert.Equal("rate_limit_error", Json.AssertAnthropicError(await haiku.Content.ReadAsStringAsync()));
            Assert.True(haiku.Headers.Contains("retry-after"));
        }
        Assert.Equal(haikuBefore, host.Received(MessagesPath, "claude-haiku-4-5"));

        // For the time the upstream gave: after it, Haiku goes through again.
        await Eventually.HoldsAsync("the Haiku cool-down ends after the upstream's retry-after", async () =>
        {
            using var again = await b.PostAsync("v1/messages", Json.Body(TenantPoolHost.Request("claude-haiku-4-5")));
            return again.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_429_whose_headers_show_room_left_cools_nothing()
    {
        var teamA = await GatewayKeys.CreateAsync(host.Admin);
        var teamB = await GatewayKeys.CreateAsync(host.Admin);
        using var a = host.Client(teamA.Secret);
        using var b = host.Client(teamB.Secret);

        // One oversized request refused on its own (every bucket still has room, as the 429's headers say).
        using var oversized = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(TenantPoolHost.Request("claude-haiku-4-5")) };
        oversized.Headers.Add(FakeUpstreamHeaders.Fault, "429-room");
        using (var response = await a.SendAsync(oversized))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.Contains("exceed your organization's rate limit", await response.Content.ReadAsStringAsync());
        }

        // Team B on the same class (and team A's next normal request) go straight through.
        var before = host.Received(MessagesPath, "claude-haiku-4-5");
        using (var same = await b.PostAsync("v1/messages", Json.Body(TenantPoolHost.Request("claude-haiku-4-5"))))
        {
            Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        }
        using (var next = await a.PostAsync("v1/messages", Json.Body(TenantPoolHost.Request("claude-haiku-4-5"))))
        {
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        }
        Assert.Equal(before + 2, host.Received(MessagesPath, "claude-haiku-4-5"));
    }

    [Fact]
    public async Task A_429_on_count_tokens_or_model_listing_cools_nothing_for_anyones_Messages()
    {
        var teamA = await GatewayKeys.CreateAsync(host.Admin);
        var teamB = await GatewayKeys.CreateAsync(host.Admin);
        using var a = host.Client(teamA.Secret);
        using var b = host.Client(teamB.Secret);

        // Token counting and the model catalogue have their own limits upstream: their 429s are the sender's alone.
        using var count = new HttpRequestMessage(HttpMethod.Post, "v1/messages/count_tokens") { Content = Json.Body(TenantPoolHost.Request("claude-haiku-4-5")) };
        count.Headers.Add(FakeUpstreamHeaders.Fault, "429");
        using (var response = await a.SendAsync(count))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        }
        using var models = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        models.Headers.Add(FakeUpstreamHeaders.Fault, "429");
        using (var response = await a.SendAsync(models))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        }

        // Team B's Messages on the same class reach the upstream at once.
        var before = host.Received(MessagesPath, "claude-haiku-4-5");
        using var message = await b.PostAsync("v1/messages", Json.Body(TenantPoolHost.Request("claude-haiku-4-5")));
        Assert.Equal(HttpStatusCode.OK, message.StatusCode);
        Assert.Equal(before + 1, host.Received(MessagesPath, "claude-haiku-4-5"));
    }
}
