using System.Net;
using Gateway.FakeUpstream;
using Gateway.Front.Upstreams;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Forwarding;

/// <summary>
/// Upstream:HttpVersion=2 sends HTTP/2 with prior knowledge on plain http (h2c): the fake here speaks HTTP/2
/// only, so an answer at all proves the protocol, and a stream's events arrive through it one by one.
/// </summary>
public sealed class Http2UpstreamTests : GatewayTestBase
{
    protected override FakeUpstreamOptions? UpstreamOptions => new() { Http2Only = true, EventDelayMs = 20 };

    protected override IDictionary<string, string?>? FrontSettings => new Dictionary<string, string?> { ["Upstream:HttpVersion"] = "2" };

    [Fact]
    public async Task Requests_and_streams_go_upstream_over_h2c()
    {
        using var client = Front.CreateClient("sk-client-secret");
        using (var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = Json.Body("""{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Say hello"}]}"""),
        };
        using var streamed = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        var text = await streamed.Content.ReadAsStringAsync();
        Assert.StartsWith("event: message_start", text, StringComparison.Ordinal);
        Assert.Contains("event: message_stop", text, StringComparison.Ordinal);
        Assert.Equal(2, Upstream.Received.Count(r => r.Method == "POST"));
    }

    [Theory]
    [InlineData("3")]
    [InlineData("http2")]
    public void Only_known_versions_start(string version)
    {
        var result = new UpstreamOptionsValidator().Validate(null, new UpstreamOptions { BaseUrl = "https://api.anthropic.com", ApiKeys = ["sk"], HttpVersion = version });
        Assert.True(result.Failed);
        Assert.Contains("Upstream:HttpVersion", result.FailureMessage, StringComparison.Ordinal);
    }
}
