using System.Diagnostics;
using System.Net;
using Gateway.FakeUpstream;
using Gateway.Tests.Clouds;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Routing;

/// <summary>
/// <c>GET /v1/models</c> answered from the routing table: the models and the operator's names a key may use across
/// all providers, in Anthropic's list shape, without an upstream call, narrowed by <c>allowed_models</c>, metered
/// against the key's request bucket; <c>GET /v1/models/{id}</c> answers from the same list.
/// </summary>
public sealed class ModelDiscoveryTests
{
    private static async Task<(VertexFixture Vertex, FakeUpstreamServer Anthropic, FrontHost Front)> StartAsync()
    {
        var vertex = await VertexFixture.StartAsync();
        var anthropic = await FakeUpstreamServer.StartAsync();
        var front = await RoutingHost.StartWithKeysAsync(
            RoutingHost.Provider(0, "anthropic", anthropic.BaseAddress, ("a1", "sk-a-1")),
            vertex.Provider(1),
            new Dictionary<string, string?>
            {
                ["Routing:Rules:0:Match"] = "team-sonnet",
                ["Routing:Rules:0:Provider"] = "vertex",
                ["Routing:Rules:0:Alias"] = "claude-sonnet-4-5",
                ["Routing:Rules:1:Match"] = "claude-opus-*",
                ["Routing:Rules:1:Provider"] = "vertex",
            });
        return (vertex, anthropic, front);
    }

    [Fact]
    public async Task The_list_names_the_routed_models_and_aliases_in_Anthropics_shape_without_an_upstream_call()
    {
        var (vertex, anthropic, front) = await StartAsync();
        await using var ownedVertex = vertex;
        await using var ownedAnthropic = anthropic;
        await using var ownedFront = front;
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        using var client = front.CreateClient(key.Secret);

        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync("v1/models?limit=1000");
        var elapsed = clock.Elapsed;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"took {elapsed}");
        var list = Json.Parse(await response.Content.ReadAsStringAsync());
        var data = list.GetProperty("data").EnumerateArray().ToArray();
        var ids = data.Select(m => m.GetProperty("id").GetString()).ToArray();
        Assert.Contains("team-sonnet", ids);
        Assert.Contains("claude-sonnet-4-5-20250929", ids);
        Assert.Contains("claude-opus-4-5-20251101", ids);
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.All(data, m =>
        {
            Assert.Equal("model", m.GetProperty("type").GetString());
            Assert.False(string.IsNullOrEmpty(m.GetProperty("display_name").GetString()));
            Assert.True(DateTimeOffset.TryParse(m.GetProperty("created_at").GetString(), out _));
        });
        Assert.False(list.GetProperty("has_more").GetBoolean());
        Assert.Equal(ids[0], list.GetProperty("first_id").GetString());
        Assert.Equal(ids[^1], list.GetProperty("last_id").GetString());
        Assert.DoesNotContain(anthropic.Received, r => r.PathAndQuery.StartsWith("/v1/models", StringComparison.Ordinal));
        Assert.DoesNotContain(vertex.Fake.Received, r => r.PathAndQuery.StartsWith("/v1/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Allowed_models_narrow_the_list_and_one_model_is_found_only_if_listed()
    {
        var (vertex, anthropic, front) = await StartAsync();
        await using var ownedVertex = vertex;
        await using var ownedAnthropic = anthropic;
        await using var ownedFront = front;
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin, allowedModels: ["claude-haiku-*", "team-sonnet", "claude-opus-4-5"]);
        using var client = front.CreateClient(key.Secret);

        using var response = await client.GetAsync("v1/models?limit=1000");
        var ids = Json.Parse(await response.Content.ReadAsStringAsync()).GetProperty("data").EnumerateArray()
            .Select(m => m.GetProperty("id").GetString()!).ToArray();
        using var one = await client.GetAsync("v1/models/claude-haiku-4-5-20251001");
        using var hidden = await client.GetAsync("v1/models/claude-sonnet-4-5-20250929");

        // Only the undated Opus name is allowed: it is listed as the key may send it.
        Assert.Equal(["team-sonnet", "claude-opus-4-5", "claude-haiku-4-5-20251001"], ids);
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        var model = Json.Parse(await one.Content.ReadAsStringAsync());
        Assert.Equal("model", model.GetProperty("type").GetString());
        Assert.Equal("Claude Haiku 4.5", model.GetProperty("display_name").GetString());
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        Assert.Equal("not_found_error", Json.AssertAnthropicError(await hidden.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task The_list_pages_as_Anthropics_does()
    {
        var (vertex, anthropic, front) = await StartAsync();
        await using var ownedVertex = vertex;
        await using var ownedAnthropic = anthropic;
        await using var ownedFront = front;
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        using var client = front.CreateClient(key.Secret);

        using var first = await client.GetAsync("v1/models?limit=2");
        var page = Json.Parse(await first.Content.ReadAsStringAsync());
        using var next = await client.GetAsync($"v1/models?limit=2&after_id={page.GetProperty("last_id").GetString()}");
        var second = Json.Parse(await next.Content.ReadAsStringAsync());
        using var bad = await client.GetAsync("v1/models?limit=0");

        Assert.Equal(2, page.GetProperty("data").GetArrayLength());
        Assert.True(page.GetProperty("has_more").GetBoolean());
        Assert.Equal(2, second.GetProperty("data").GetArrayLength());
        Assert.NotEqual(page.GetProperty("first_id").GetString(), second.GetProperty("first_id").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Listing_is_still_metered_against_the_keys_request_bucket()
    {
        var (vertex, anthropic, front) = await StartAsync();
        await using var ownedVertex = vertex;
        await using var ownedAnthropic = anthropic;
        await using var ownedFront = front;
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin, limits: new { requests_per_minute = 3 });
        using var client = front.CreateClient(key.Secret);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await client.GetAsync("v1/models?limit=1000");
            statuses.Add(response.StatusCode);
        }

        Assert.InRange(statuses.Count(s => s == HttpStatusCode.OK), 3, 4);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }
}
