using System.Diagnostics;
using System.Net;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Forwarding;

/// <summary>The gateway forwards requests and responses byte for byte over real loopback sockets.</summary>
public sealed class PassThroughTests : GatewayTestBase
{
    [Fact]
    public async Task Non_streaming_request_reaches_upstream_intact_and_the_response_comes_back_unchanged()
    {
        using var client = Front.CreateClient("sk-client-secret");
        const string body = """{"model":"claude-sonnet-4-5","max_tokens":64,"future_field":{"x":[1,2.50,3e2]},"messages":[{"role":"user","content":"Say hello"}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages?beta=true") { Content = Json.Body(body) };
        request.Headers.Add("anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14");
        request.Headers.Add("x-stainless-lang", "js");
        request.Headers.Add("x-stainless-retry-count", "0");
        request.Headers.Add("X-Claude-Code-Session-Id", "session-123");
        request.Headers.Add("x-app", "cli");
        request.Headers.Add("anthropic-dangerous-direct-browser-access", "true");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip, deflate, br, zstd");

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = Json.Parse(text);
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.True(message.GetProperty("usage").GetProperty("output_tokens").GetInt32() > 0);
        Assert.True(response.Headers.Contains("request-id"));
        Assert.True(response.Headers.Contains("anthropic-ratelimit-requests-remaining"));

        var seen = Assert.Single(Upstream.Received, r => r.Method == "POST");
        Assert.Equal("/v1/messages?beta=true", seen.PathAndQuery);
        Assert.Equal(body, Encoding.UTF8.GetString(seen.Body));
        Assert.Equal("sk-upstream-test", seen.Headers["x-api-key"]);
        Assert.False(seen.Headers.ContainsKey("authorization"));
        Assert.Equal("2023-06-01", seen.Headers["anthropic-version"]);
        Assert.Equal("claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14", seen.Headers["anthropic-beta"]);
        Assert.Equal("js", seen.Headers["x-stainless-lang"]);
        Assert.Equal("session-123", seen.Headers["X-Claude-Code-Session-Id"]);
        Assert.Equal("cli", seen.Headers["x-app"]);
        Assert.Equal("true", seen.Headers["anthropic-dangerous-direct-browser-access"]);
        Assert.DoesNotContain(seen.Headers.Values, v => v.Contains("sk-client-secret"));
    }

    [Fact]
    public async Task Bearer_credential_is_replaced_too()
    {
        using var client = new HttpClient { BaseAddress = Front.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new("Bearer", "sk-bearer-client");
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Upstream.Received.Last();
        Assert.Equal("sk-upstream-test", seen.Headers["x-api-key"]);
        Assert.False(seen.Headers.ContainsKey("authorization"));
    }

    [Fact]
    public async Task Streaming_chunks_reach_the_client_one_by_one_as_the_upstream_sends_them()
    {
        Upstream.Options.EventDelayMs = 60;
        using var client = Front.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(Json.SmallStreamingRequest) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        await using var stream = await response.Content.ReadAsStreamAsync();
        var arrivals = new List<(TimeSpan at, string text)>();
        var clock = Stopwatch.StartNew();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            arrivals.Add((clock.Elapsed, Encoding.UTF8.GetString(buffer, 0, read)));
        }
        var all = string.Concat(arrivals.Select(a => a.text));
        Assert.Contains("event: message_start", all);
        Assert.Contains("event: message_stop", all);

        // Events are 60 ms apart upstream: a buffering proxy would deliver them in one or two lumps.
        var events = all.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.True(arrivals.Count >= events / 2, $"{arrivals.Count} reads for {events} events");
        var spread = arrivals[^1].at - arrivals[0].at;
        Assert.True(spread >= TimeSpan.FromMilliseconds(60 * (events - 2) * 0.8), $"all events arrived within {spread.TotalMilliseconds} ms");
        var firstEvent = arrivals.First(a => a.text.Contains("message_start")).at;
        Assert.True(arrivals[^1].at - firstEvent > TimeSpan.FromMilliseconds(200), "message_start was held back");
    }

    [Fact]
    public async Task Count_tokens_models_and_unknown_v1_paths_pass_through_with_query_strings()
    {
        using var client = Front.CreateClient();
        using var count = await client.PostAsync("v1/messages/count_tokens?beta=true", Json.Body(Json.SmallRequest));
        Assert.Equal(HttpStatusCode.OK, count.StatusCode);
        Assert.True(Json.Parse(await count.Content.ReadAsStringAsync()).GetProperty("input_tokens").GetInt32() > 0);

        using var models = await client.GetAsync("v1/models?limit=1000");
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        Assert.True(Json.Parse(await models.Content.ReadAsStringAsync()).GetProperty("data").GetArrayLength() > 0);

        using var model = await client.GetAsync("v1/models/claude-sonnet-4-5-20250929");
        Assert.Equal(HttpStatusCode.OK, model.StatusCode);

        using var unknown = await client.GetAsync("v1/some/future/endpoint?x=1");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("not_found_error", Json.AssertAnthropicError(await unknown.Content.ReadAsStringAsync()));

        var paths = Upstream.Received.Select(r => r.PathAndQuery).ToList();
        Assert.Contains("/v1/messages/count_tokens?beta=true", paths);
        Assert.Contains("/v1/models?limit=1000", paths);
        Assert.Contains("/v1/some/future/endpoint?x=1", paths);
    }

    [Fact]
    public async Task A_mid_stream_error_event_passes_through_untouched()
    {
        using var client = Front.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(Json.SmallStreamingRequest) };
        request.Headers.Add("x-fake-fault", "error-mid-stream");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}", text);
    }

    [Fact]
    public async Task Upstream_rate_limit_answer_comes_back_with_its_headers_and_body()
    {
        using var client = Front.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(Json.SmallRequest) };
        request.Headers.Add("x-fake-fault", "429");
        using var response = await client.SendAsync(request);
        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.Equal("1", response.Headers.GetValues("retry-after").Single());
        Assert.True(response.Headers.Contains("anthropic-ratelimit-requests-remaining"));
        Assert.Equal("rate_limit_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        Assert.Single(Upstream.Received, r => r.Method == "POST"); // a 429 from the only key is not retried
    }

    [Fact]
    public async Task Client_disconnect_cancels_the_upstream_stream()
    {
        Upstream.Options.EventDelayMs = 200;
        Upstream.Options.OutputTokens = 200;
        // No draining on dispose: the client really goes away, as a killed CLI would.
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = Front.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", "sk-client-test");
        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(Json.SmallStreamingRequest) })
        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            await using var stream = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[1024];
            Assert.True(await stream.ReadAsync(buffer) > 0);
        } // disposing the response closes the client's connection mid-stream

        var deadline = Stopwatch.StartNew();
        while (Upstream.AbortedRequests == 0 && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(20);
        }
        Assert.Equal(1, Upstream.AbortedRequests);
        Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(2), $"upstream noticed after {deadline.Elapsed.TotalMilliseconds} ms");
    }
}
