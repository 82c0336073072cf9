using System.Net;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;

namespace Gateway.Tests.Bedrock;

/// <summary>A bedrock provider with Bedrock API keys: bearer tokens pooled like any keys, a throttled one moved off at once.</summary>
public sealed class BedrockApiKeyTests
{
    [Fact]
    public async Task Api_keys_go_as_bearer_and_a_throttled_key_gives_way_to_the_next()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ApiKeys = ["br-key-1", "br-key-2", BedrockHost.AnthropicKey] });
        await using var front = await RoutingHost.StartPassThroughAsync(BedrockHost.Providers(upstream.BaseAddress, "claude-sonnet-*", ("br-1", "br-key-1"), ("br-2", "br-key-2")));
        using var client = new HttpClient { BaseAddress = front.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", "sk-client");
        upstream.Faults.Enqueue("429", 1);

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = upstream.Received.Where(r => r.PathAndQuery.StartsWith("/model/", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, sent.Count);
        Assert.All(sent, r => Assert.StartsWith("Bearer br-key-", r.Headers["Authorization"]));
        Assert.NotEqual(sent[0].Headers["Authorization"], sent[1].Headers["Authorization"]);
        Assert.All(sent, r => Assert.False(r.Headers.ContainsKey("x-amz-date")));
    }
}
