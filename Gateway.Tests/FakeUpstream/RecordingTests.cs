using System.Net;
using System.Text;
using Gateway.FakeUpstream;
using static Gateway.Tests.FakeUpstream.FakeUpstreamTestKit;

namespace Gateway.Tests.FakeUpstream;

public sealed class RecordingTests
{
    [Fact]
    public async Task Requests_are_recorded_with_method_target_headers_and_exact_body()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var body = Body(text: "héllo ✓ 🎉");
        var request = Post("v1/messages?beta=true", body);
        request.Headers.Add("anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14");
        request.Headers.Add("X-Claude-Code-Session-Id", "sess-1");
        request.Headers.TryAddWithoutValidation("x-multi", ["a", "b"]);

        var before = DateTimeOffset.UtcNow;
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var recorded = Assert.Single(server.Received);
        Assert.Equal("POST", recorded.Method);
        Assert.Equal("/v1/messages?beta=true", recorded.PathAndQuery);
        Assert.Equal(Encoding.UTF8.GetBytes(body), recorded.Body);
        Assert.Equal("claude-code-20250219,interleaved-thinking-2025-05-14", recorded.Headers["Anthropic-Beta"]);
        Assert.Equal("sess-1", recorded.Headers["x-claude-code-session-id"]);
        Assert.Equal(Key, recorded.Headers["X-API-KEY"]);
        Assert.Equal("a, b", recorded.Headers["x-multi"]);
        Assert.True(recorded.At >= before.AddSeconds(-1) && recorded.At <= DateTimeOffset.UtcNow.AddSeconds(1));

        server.ClearReceived();
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task Faulted_and_rejected_requests_are_recorded_too()
    {
        await using var server = await FakeUpstreamServer.StartAsync(new() { ApiKeys = ["only-this"] });
        using var http = Client(server);

        using var faulted = await http.SendAsync(Post("v1/messages", Body(), fault: "529"));
        using var unauthorized = await http.SendAsync(Post("v1/messages", Body(), key: "other"));

        Assert.Equal(529, (int)faulted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal(2, server.Received.Count);
    }

    [Fact]
    public async Task Recording_is_bounded()
    {
        await using var server = await FakeUpstreamServer.StartAsync(new() { MaxRecordedRequests = 2 });
        using var http = Client(server);

        for (var i = 0; i < 3; i++)
        {
            using var _ = await http.SendAsync(Post($"v1/messages?n={i}", Body()));
        }

        Assert.Equal(["/v1/messages?n=1", "/v1/messages?n=2"], server.Received.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task Recorded_requests_are_served_and_cleared_over_http()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var body = Body();
        using (await http.SendAsync(Post("v1/messages?beta=true", body))) { }

        using var summary = await http.GetAsync("_fake/requests");
        var json = await JsonAsync(summary);
        Assert.Equal(1, json.GetProperty("count").GetInt32());
        var first = json.GetProperty("requests")[0];
        Assert.Equal("POST", first.GetProperty("method").GetString());
        Assert.Equal("/v1/messages?beta=true", first.GetProperty("pathAndQuery").GetString());
        Assert.Equal(body, first.GetProperty("body").GetString());
        Assert.Equal("2023-06-01", first.GetProperty("headers").GetProperty("anthropic-version").GetString());

        using var cleared = await http.DeleteAsync("_fake/requests");
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        Assert.Empty(server.Received); // control calls are not recorded themselves
    }

    [Fact]
    public async Task Options_can_be_changed_over_http()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);

        using var update = await http.PostAsync("_fake/options", new StringContent("""{"eventDelayMs":7,"replyText":"changed"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        Assert.Equal(7, server.Options.EventDelayMs);
        using var reply = await http.SendAsync(Post("v1/messages", Body()));
        Assert.Equal("changed", (await JsonAsync(reply)).GetProperty("content")[0].GetProperty("text").GetString());
    }
}
