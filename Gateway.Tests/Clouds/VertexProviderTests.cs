using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;

namespace Gateway.Tests.Clouds;

/// <summary>
/// A provider of kind <c>vertex</c> through a real front and the fake Vertex AI: Messages become rawPredict and
/// streamRawPredict, count_tokens count-tokens:rawPredict, with a Google token from the key file, Vertex's body
/// shape, the model mapped, Google's errors turned into Anthropic's and retries as for any provider.
/// </summary>
public sealed class VertexProviderTests
{
    private static async Task<(VertexFixture Vertex, FrontHost Front)> StartAsync(FakeUpstreamOptions? options = null,
        Dictionary<string, string?>? extra = null)
    {
        var vertex = await VertexFixture.StartAsync(options);
        var front = await RoutingHost.StartPassThroughAsync(vertex.Provider(0), extra ?? []);
        return (vertex, front);
    }

    private static JsonElement BodyOf(RecordedRequest request) => JsonDocument.Parse(request.Body).RootElement;

    [Fact]
    public async Task A_streamed_message_goes_to_streamRawPredict_with_a_Google_token_and_Vertex_body_and_streams_back()
    {
        var (vertex, front) = await StartAsync(new FakeUpstreamOptions { EventDelayMs = 20 });
        await using var ownedVertex = vertex;
        await using var ownedFront = front;
        using var client = front.CreateClient("sk-client-must-not-leak");

        using var response = await client.PostAsync("v1/messages?beta=true", Json.Body(Json.SmallStreamingRequest));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("event: message_start", text);
        Assert.Contains("event: message_stop", text);
        var sent = Assert.Single(vertex.Fake.Received, r => r.Method == "POST" && r.PathAndQuery.StartsWith("/v1/projects", StringComparison.Ordinal));
        Assert.Equal(VertexFixture.PredictPath("claude-sonnet-4-5@20250929", "streamRawPredict"), sent.PathAndQuery);
        var body = BodyOf(sent);
        Assert.False(body.TryGetProperty("model", out _));
        Assert.Equal("vertex-2023-10-16", body.GetProperty("anthropic_version").GetString());
        Assert.True(body.GetProperty("stream").GetBoolean());
        Assert.StartsWith("Bearer ya29.fake-", sent.Headers["Authorization"]);
        Assert.Contains(sent.Headers["Authorization"]["Bearer ".Length..], vertex.Fake.State.IssuedGoogleTokens);
        Assert.False(sent.Headers.ContainsKey("x-api-key"));
        Assert.DoesNotContain("sk-client-must-not-leak", string.Join(" ", sent.Headers.Values));
    }

    [Fact]
    public async Task A_plain_message_goes_to_rawPredict_and_the_token_is_fetched_once_and_reused()
    {
        var (vertex, front) = await StartAsync();
        await using var ownedVertex = vertex;
        await using var ownedFront = front;
        using var client = front.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var reply = Json.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("message", reply.GetProperty("type").GetString());
            Assert.True(reply.GetProperty("usage").GetProperty("output_tokens").GetInt32() > 0);
        }

        Assert.All(vertex.Fake.Received.Where(r => r.PathAndQuery.StartsWith("/v1/", StringComparison.Ordinal)),
            r => Assert.Equal(VertexFixture.PredictPath("claude-sonnet-4-5@20250929", "rawPredict"), r.PathAndQuery));
        Assert.Equal(1, vertex.Fake.State.GoogleTokenGrants);
    }

    [Fact]
    public async Task A_token_close_to_its_expiry_is_replaced_before_it_runs_out()
    {
        // A 60-second token is inside Google.Apis.Auth's refresh window from the start: each request gets a fresh one.
        var (vertex, front) = await StartAsync(new FakeUpstreamOptions { GoogleTokenLifetimeSeconds = 60 });
        await using var ownedVertex = vertex;
        await using var ownedFront = front;
        using var client = front.CreateClient();

        using (var first = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        using (var second = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }

        Assert.True(vertex.Fake.State.GoogleTokenGrants >= 2, $"grants: {vertex.Fake.State.GoogleTokenGrants}");
    }

    [Fact]
    public async Task Count_tokens_goes_to_count_tokens_rawPredict_with_the_Vertex_model_in_the_body()
    {
        var (vertex, front) = await StartAsync();
        await using var ownedVertex = vertex;
        await using var ownedFront = front;
        using var client = front.CreateClient();

        using var response = await client.PostAsync("v1/messages/count_tokens", Json.Body(Json.SmallRequest));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(Json.Parse(await response.Content.ReadAsStringAsync()).GetProperty("input_tokens").GetInt32() > 0);
        var sent = Assert.Single(vertex.Fake.Received, r => r.PathAndQuery.StartsWith("/v1/", StringComparison.Ordinal));
        Assert.Equal(VertexFixture.PredictPath("count-tokens", "rawPredict"), sent.PathAndQuery);
        var body = BodyOf(sent);
        Assert.Equal("claude-sonnet-4-5@20250929", body.GetProperty("model").GetString());
        Assert.Equal("vertex-2023-10-16", body.GetProperty("anthropic_version").GetString());
    }

    [Fact]
    public async Task A_configured_model_table_and_a_route_alias_decide_the_Vertex_model_id()
    {
        var (vertex, front) = await StartAsync(extra: new Dictionary<string, string?>
        {
            ["Upstream:Providers:0:Models:team-sonnet"] = "claude-sonnet-4-5@20250929",
            ["Routing:Rules:0:Match"] = "claude-haiku-*",
            ["Routing:Rules:0:Provider"] = "vertex",
            ["Routing:Rules:0:Alias"] = "team-sonnet",
        });
        await using var ownedVertex = vertex;
        await using var ownedFront = front;
        using var client = front.CreateClient();

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest.Replace("claude-sonnet-4-5", "claude-haiku-4-5")));
        using var dated = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest.Replace("claude-sonnet-4-5", "claude-opus-4-1-20250805")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, dated.StatusCode);
        var paths = vertex.Fake.Received.Where(r => r.PathAndQuery.StartsWith("/v1/", StringComparison.Ordinal)).Select(r => r.PathAndQuery).ToArray();
        Assert.Equal([VertexFixture.PredictPath("claude-sonnet-4-5@20250929", "rawPredict"), VertexFixture.PredictPath("claude-opus-4-1@20250805", "rawPredict")], paths);
    }

    [Theory]
    [InlineData("../../../v1/projects/other/x")]
    [InlineData("claude-sonnet-4-5:streamRawPredict?x=")]
    [InlineData("claude sonnet")]
    [InlineData("claude-sonnet-4-5@@1")]
    [InlineData("claude-sonnet-4-5#frag")]
    public async Task A_model_name_that_is_not_a_plain_id_never_reaches_the_URL(string model)
    {
        var (vertex, front) = await StartAsync();
        await using var ownedVertex = vertex;
        await using var ownedFront = front;
        using var client = front.CreateClient();

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest.Replace("claude-sonnet-4-5", model)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        Assert.DoesNotContain(vertex.Fake.Received, r => r.PathAndQuery.StartsWith("/v1/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Vertex_throttling_becomes_Anthropics_rate_limit_error_with_retry_after_kept()
    {
        var (vertex, front) = await StartAsync();
        await using var ownedVertex = vertex;
        await using var ownedFront = front;
        vertex.Fake.Faults.Enqueue("429", 1);
        using var client = front.CreateClient();

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("rate_limit_error", Json.AssertAnthropicError(body));
        Assert.Contains("Quota exceeded", body);
        Assert.Equal("1", response.Headers.GetValues("retry-after").Single());
    }

    [Theory]
    [InlineData("503", "overloaded_error", HttpStatusCode.ServiceUnavailable)]
    [InlineData("403", "permission_error", HttpStatusCode.Forbidden)]
    [InlineData("404", "not_found_error", HttpStatusCode.NotFound)]
    [InlineData("500", "api_error", HttpStatusCode.InternalServerError)]
    public async Task Vertex_errors_keep_their_status_in_Anthropics_shape(string fault, string type, HttpStatusCode status)
    {
        var (vertex, front) = await StartAsync(extra: new() { ["Upstream:MaxRetries"] = "0" });
        await using var ownedVertex = vertex;
        await using var ownedFront = front;
        vertex.Fake.Faults.Enqueue(fault, 1);
        using var client = front.CreateClient();

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(type, Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task A_503_from_Vertex_is_retried_before_the_first_byte_and_the_client_sees_the_answer()
    {
        var (vertex, front) = await StartAsync();
        await using var ownedVertex = vertex;
        await using var ownedFront = front;
        vertex.Fake.Faults.Enqueue("503", 2);
        using var client = front.CreateClient();

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallStreamingRequest));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: message_stop", await response.Content.ReadAsStringAsync());
        Assert.Equal(3, vertex.Fake.Received.Count(r => r.PathAndQuery.StartsWith("/v1/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_overloaded_Vertex_falls_back_to_an_Anthropic_provider()
    {
        await using var vertex = await VertexFixture.StartAsync();
        await using var anthropic = await FakeUpstreamServer.StartAsync();
        await using var front = await RoutingHost.StartPassThroughAsync(vertex.Provider(0),
            RoutingHost.Provider(1, "anthropic", anthropic.BaseAddress, ("a1", "sk-a-1")),
            new Dictionary<string, string?>
            {
                ["Routing:Rules:0:Match"] = "claude-*",
                ["Routing:Rules:0:Provider"] = "vertex",
                ["Routing:Rules:0:Fallbacks:0"] = "anthropic",
            });
        vertex.Fake.Faults.Enqueue("529", 1);
        using var client = front.CreateClient();

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Assert.Single(anthropic.Received, r => r.Method == "POST");
        // The Anthropic provider gets the client's bytes, model included, not Vertex's shape.
        Assert.Equal(Json.SmallRequest, Encoding.UTF8.GetString(sent.Body));
    }

    [Fact]
    public async Task A_mid_stream_error_passes_through_as_an_SSE_error_event()
    {
        var (vertex, front) = await StartAsync();
        await using var ownedVertex = vertex;
        await using var ownedFront = front;
        vertex.Fake.Faults.Enqueue("error-mid-stream", 1);
        using var client = front.CreateClient();

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallStreamingRequest));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: message_start", text);
        Assert.Contains("event: error", text);
    }

    [Fact]
    public async Task A_path_Vertex_does_not_serve_gets_a_404_without_an_upstream_call()
    {
        var (vertex, front) = await StartAsync();
        await using var ownedVertex = vertex;
        await using var ownedFront = front;
        using var client = front.CreateClient();

        using var response = await client.GetAsync("v1/files");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        Assert.DoesNotContain(vertex.Fake.Received, r => r.PathAndQuery.StartsWith("/v1/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unreadable_credential_file_gives_a_502_the_client_may_retry()
    {
        await using var vertex = await VertexFixture.StartAsync();
        await File.WriteAllTextAsync(vertex.KeyFile, """{"type":"service_account","private_key":"not a key"}""");
        await using var front = await RoutingHost.StartPassThroughAsync(vertex.Provider(0));
        using var client = front.CreateClient();

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("api_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        Assert.Equal("true", response.Headers.GetValues("x-should-retry").Single());
    }

    [Fact]
    public async Task What_Vertex_refuses_is_dropped_on_the_way_and_the_client_gets_its_answer_not_a_400()
    {
        var (vertex, front) = await StartAsync();
        await using var ownedVertex = vertex;
        await using var ownedFront = front;
        using var client = front.CreateClient();
        const string thinking = """{"type":"thinking","thinking":"","signature":"EqQBCkgIARABGAIi/sig=="}""";
        var body = $$$"""
            {"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"mcp_servers":[{"type":"url","url":"https://mcp.example.com","name":"m"}],
             "context_management":{"edits":[{"type":"clear_tool_uses_20250919"}]},
             "system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral","ttl":"1h","scope":"global"}}],
             "messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":[{{{thinking}}},{"type":"text","text":"Hello"}]},{"role":"user","content":"Again"}]}
            """;
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages?beta=true") { Content = Json.Body(body) };
        request.Headers.TryAddWithoutValidation("anthropic-beta", "claude-code-20250219,files-api-2025-04-14,context-1m-2025-08-07");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: message_stop", await response.Content.ReadAsStringAsync());
        var sent = Assert.Single(vertex.Fake.Received, r => r.PathAndQuery.StartsWith("/v1/", StringComparison.Ordinal));
        Assert.Equal("claude-code-20250219", sent.Headers["anthropic-beta"]);
        var text = Encoding.UTF8.GetString(sent.Body);
        var forwarded = JsonDocument.Parse(sent.Body).RootElement;
        Assert.False(forwarded.TryGetProperty("mcp_servers", out _));
        Assert.True(forwarded.TryGetProperty("context_management", out _));
        Assert.Equal(["context-1m-2025-08-07"], forwarded.GetProperty("anthropic_beta").EnumerateArray().Select(b => b.GetString()!).ToArray());
        Assert.Equal("""{"type":"ephemeral","ttl":"1h"}""", forwarded.GetProperty("system")[0].GetProperty("cache_control").GetRawText());
        Assert.Contains(thinking, text);
    }
}
