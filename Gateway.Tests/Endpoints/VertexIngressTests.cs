using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.FakeUpstream;
using Gateway.Tests.Clouds;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;

namespace Gateway.Tests.Endpoints;

/// <summary>
/// The gateway serving Claude Code's Vertex format (<c>…/publishers/anthropic/models/{m}:rawPredict</c>,
/// <c>:streamRawPredict</c>, <c>count-tokens:rawPredict</c>) on virtual keys, routed by the same rules to any provider.
/// </summary>
public sealed class VertexIngressTests
{
    private const string Base = "v1/projects/client-project/locations/us-east5/publishers/anthropic/models/";

    /// <summary>What Claude Code sends in Vertex mode: no model in the body, Vertex's anthropic_version.</summary>
    private const string VertexStreamingBody =
        """{"anthropic_version":"vertex-2023-10-16","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Say hello"}]}""";

    private const string VertexBody =
        """{"anthropic_version":"vertex-2023-10-16","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]}""";

    private static async Task<(FakeUpstreamServer Upstream, FrontHost Front, string Secret)> StartAsync(Dictionary<string, string?>? extra = null)
    {
        var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { EventDelayMs = 5 });
        var front = await RoutingHost.StartWithKeysAsync(RoutingHost.Provider(0, "anthropic", upstream.BaseAddress, ("a1", "sk-upstream-a")), extra ?? []);
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin, limits: new { requests_per_minute = 100 });
        return (upstream, front, key.Secret);
    }

    private static HttpClient Bearer(FrontHost front, string secret)
    {
        var client = front.CreateClient("");
        client.DefaultRequestHeaders.Remove("x-api-key");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return client;
    }

    [Fact]
    public async Task StreamRawPredict_on_a_virtual_key_reaches_an_Anthropic_provider_as_a_Messages_call_and_streams_back()
    {
        var (upstream, front, secret) = await StartAsync();
        await using var ownedUpstream = upstream;
        await using var ownedFront = front;
        using var client = Bearer(front, secret);

        using var response = await client.PostAsync(Base + "claude-sonnet-4-5@20250929:streamRawPredict", Json.Body(VertexStreamingBody));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("event: message_stop", text);
        var sent = Assert.Single(upstream.Received, r => r.Method == "POST");
        Assert.Equal("/v1/messages", sent.PathAndQuery);
        Assert.Equal("sk-upstream-a", RoutingHost.KeyOf(sent));
        Assert.Equal("2023-06-01", sent.Headers["anthropic-version"]);
        var body = Json.Parse(Encoding.UTF8.GetString(sent.Body));
        // The Vertex id is mapped back to the name routing, pricing and budgets know.
        Assert.Equal("claude-sonnet-4-5", body.GetProperty("model").GetString());
        Assert.False(body.TryGetProperty("anthropic_version", out _));
        Assert.True(body.GetProperty("stream").GetBoolean());
    }

    [Fact]
    public async Task RawPredict_and_count_tokens_answer_with_the_x_api_key_credential_too()
    {
        var (upstream, front, secret) = await StartAsync();
        await using var ownedUpstream = upstream;
        await using var ownedFront = front;
        using var client = front.CreateClient(secret);

        using var plain = await client.PostAsync(Base + "claude-haiku-4-5@20251001:rawPredict", Json.Body(VertexBody));
        using var count = await client.PostAsync(Base + "count-tokens:rawPredict",
            Json.Body("""{"anthropic_version":"vertex-2023-10-16","model":"claude-haiku-4-5@20251001","messages":[{"role":"user","content":"Say hello"}]}"""));

        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal("message", Json.Parse(await plain.Content.ReadAsStringAsync()).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, count.StatusCode);
        Assert.True(Json.Parse(await count.Content.ReadAsStringAsync()).GetProperty("input_tokens").GetInt32() > 0);
        var paths = upstream.Received.Where(r => r.Method == "POST").Select(r => (r.PathAndQuery, Json.Parse(Encoding.UTF8.GetString(r.Body)).GetProperty("model").GetString())).ToArray();
        Assert.Equal([("/v1/messages", "claude-haiku-4-5"), ("/v1/messages/count_tokens", "claude-haiku-4-5")], paths);
    }

    [Fact]
    public async Task An_unknown_key_gets_401_and_nothing_goes_upstream()
    {
        var (upstream, front, _) = await StartAsync();
        await using var ownedUpstream = upstream;
        await using var ownedFront = front;
        using var client = Bearer(front, "sk-gw-not-a-key");

        using var response = await client.PostAsync(Base + "claude-sonnet-4-5:streamRawPredict", Json.Body(VertexStreamingBody));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("authentication_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        Assert.Empty(upstream.Received);
    }

    [Theory]
    [InlineData("claude-sonnet-4-5:generateContent", HttpStatusCode.NotFound, "not_found_error")]
    [InlineData("claude%20sonnet:rawPredict", HttpStatusCode.BadRequest, "invalid_request_error")]
    [InlineData("claude\"x:rawPredict", HttpStatusCode.BadRequest, "invalid_request_error")]
    [InlineData("a@b@c:rawPredict", HttpStatusCode.BadRequest, "invalid_request_error")]
    public async Task A_hostile_or_unknown_target_is_refused_without_an_upstream_call(string target, HttpStatusCode status, string type)
    {
        var (upstream, front, secret) = await StartAsync();
        await using var ownedUpstream = upstream;
        await using var ownedFront = front;
        using var client = front.CreateClient(secret);

        using var response = await client.PostAsync(Base + target, Json.Body(VertexBody));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(type, Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        Assert.Empty(upstream.Received);
    }

    [Fact]
    public async Task A_key_limited_to_other_models_is_refused_through_the_Vertex_path_as_through_messages()
    {
        var (upstream, front, _) = await StartAsync();
        await using var ownedUpstream = upstream;
        await using var ownedFront = front;
        using var admin = front.CreateAdminClient();
        var narrow = await GatewayKeys.CreateAsync(admin, allowedModels: ["claude-haiku-*"]);
        using var client = front.CreateClient(narrow.Secret);

        using var refused = await client.PostAsync(Base + "claude-opus-4-5@20251101:rawPredict", Json.Body(VertexBody));
        using var allowed = await client.PostAsync(Base + "claude-haiku-4-5@20251001:rawPredict", Json.Body(VertexBody));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Single(upstream.Received, r => r.Method == "POST");
    }

    [Fact]
    public async Task The_Vertex_path_reaches_a_Vertex_provider_too()
    {
        await using var vertex = await VertexFixture.StartAsync();
        await using var front = await RoutingHost.StartPassThroughAsync(vertex.Provider(0));
        using var client = front.CreateClient();

        using var response = await client.PostAsync(Base + "claude-sonnet-4-5@20250929:streamRawPredict", Json.Body(VertexStreamingBody));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: message_stop", await response.Content.ReadAsStringAsync());
        var sent = Assert.Single(vertex.Fake.Received, r => r.PathAndQuery.StartsWith("/v1/", StringComparison.Ordinal));
        // The provider's own project and location, not the client's.
        Assert.Equal(VertexFixture.PredictPath("claude-sonnet-4-5@20250929", "streamRawPredict"), sent.PathAndQuery);
    }
}
