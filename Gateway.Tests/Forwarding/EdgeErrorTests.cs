using System.Net;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Forwarding;

/// <summary>The gateway's own answers: Anthropic-shaped errors, health probes, CORS; none reach the upstream.</summary>
public sealed class EdgeErrorTests : GatewayTestBase
{
    protected override IDictionary<string, string?> FrontSettings => new Dictionary<string, string?>
    {
        ["Gateway:MaxRequestBodyBytes"] = "65536",
        ["Cors:AllowedOrigins:0"] = "https://app.example.com",
    };

    [Theory]
    [InlineData("""{"model":"m","messages":[""", 400, "invalid_request_error")]
    [InlineData("""{"max_tokens":10,"messages":[]}""", 400, "invalid_request_error")]
    [InlineData("not json at all", 400, "invalid_request_error")]
    public async Task Bad_bodies_get_an_anthropic_shaped_400(string body, int status, string type)
    {
        using var client = Front.CreateClient();
        using var response = await client.PostAsync("v1/messages", Json.Body(body));
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(type, Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        Assert.Empty(Upstream.Received);
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_whether_its_length_is_declared_or_chunked()
    {
        using var client = Front.CreateClient();
        var big = """{"model":"m","messages":[{"role":"user","content":" """ + new string('x', 70_000) + "\"}]}";
        using var declared = await client.PostAsync("v1/messages", Json.Body(big));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.Equal("request_too_large", Json.AssertAnthropicError(await declared.Content.ReadAsStringAsync()));

        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        Assert.Empty(Upstream.Received);
    }

    [Fact]
    public async Task Unknown_paths_and_wrong_methods_are_answered_locally()
    {
        using var client = Front.CreateClient();
        using var unknown = await client.GetAsync("not-the-api");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("not_found_error", Json.AssertAnthropicError(await unknown.Content.ReadAsStringAsync()));

        using var wrong = await client.GetAsync("v1/messages");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrong.StatusCode);
        Assert.Equal("invalid_request_error", Json.AssertAnthropicError(await wrong.Content.ReadAsStringAsync()));
        Assert.Empty(Upstream.Received);
    }

    [Fact]
    public async Task Health_probes_and_the_root_probe_are_answered_locally()
    {
        using var client = new HttpClient { BaseAddress = Front.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("readyz")).StatusCode);
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(Upstream.Received);
    }

    [Fact]
    public async Task Cors_preflight_allows_the_configured_origin_and_anthropic_headers()
    {
        using var client = new HttpClient { BaseAddress = Front.BaseAddress };
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "v1/messages");
        preflight.Headers.Add("Origin", "https://app.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "anthropic-version,anthropic-beta,x-api-key,authorization,content-type,anthropic-dangerous-direct-browser-access");
        using var response = await client.SendAsync(preflight);
        Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
        Assert.Equal("https://app.example.com", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var allowed = string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant();
        Assert.Contains("anthropic-version", allowed);
        Assert.Contains("x-api-key", allowed);
        Assert.Contains("authorization", allowed);

        using var other = new HttpRequestMessage(HttpMethod.Options, "v1/messages");
        other.Headers.Add("Origin", "https://evil.example.com");
        other.Headers.Add("Access-Control-Request-Method", "POST");
        using var denied = await client.SendAsync(other);
        Assert.False(denied.Headers.Contains("Access-Control-Allow-Origin"));

        using var actual = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(Json.SmallRequest) };
        actual.Headers.Add("Origin", "https://app.example.com");
        actual.Headers.Add("x-api-key", "sk-browser");
        using var real = await client.SendAsync(actual);
        Assert.Equal(HttpStatusCode.OK, real.StatusCode);
        Assert.Contains("request-id", string.Join(",", real.Headers.GetValues("Access-Control-Expose-Headers")));
    }
}
