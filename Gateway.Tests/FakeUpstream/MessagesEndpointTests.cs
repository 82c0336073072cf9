using System.Net;
using System.Text;
using Gateway.FakeUpstream;
using static Gateway.Tests.FakeUpstream.FakeUpstreamTestKit;

namespace Gateway.Tests.FakeUpstream;

public sealed class MessagesEndpointTests
{
    private static readonly string[] RateLimitHeaderNames =
        (from kind in new[] { "requests", "tokens", "input-tokens", "output-tokens" }
         from part in new[] { "limit", "remaining", "reset" }
         select $"anthropic-ratelimit-{kind}-{part}").ToArray();

    [Fact]
    public async Task NonStreaming_reply_has_the_message_shape_and_usage()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var body = Body();

        using var response = await http.SendAsync(Post("v1/messages?beta=true", body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("req_", Header(response, "request-id"));
        foreach (var name in RateLimitHeaderNames)
        {
            Assert.False(string.IsNullOrEmpty(Header(response, name)), name);
        }
        Assert.True(DateTimeOffset.TryParse(Header(response, "anthropic-ratelimit-requests-reset"), out _));

        var json = await JsonAsync(response);
        Assert.StartsWith("msg_", json.GetProperty("id").GetString());
        Assert.Equal("message", json.GetProperty("type").GetString());
        Assert.Equal("assistant", json.GetProperty("role").GetString());
        Assert.Equal("claude-sonnet-4-5-20250929", json.GetProperty("model").GetString());
        var block = Assert.Single(json.GetProperty("content").EnumerateArray());
        Assert.Equal("text", block.GetProperty("type").GetString());
        Assert.Equal(server.Options.ReplyText, block.GetProperty("text").GetString());
        Assert.Equal("end_turn", json.GetProperty("stop_reason").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.GetProperty("stop_sequence").ValueKind);

        var usage = json.GetProperty("usage");
        Assert.Equal((Encoding.UTF8.GetByteCount(body) + 3) / 4, usage.GetProperty("input_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("cache_creation_input_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("cache_read_input_tokens").GetInt32());
        Assert.Equal(12, usage.GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Output_never_exceeds_max_tokens()
    {
        await using var server = await FakeUpstreamServer.StartAsync(new() { OutputTokens = 10, ReplyText = "0123456789" });
        using var http = Client(server);

        using var response = await http.SendAsync(Post("v1/messages", Body(maxTokens: 3)));

        var json = await JsonAsync(response);
        Assert.Equal("max_tokens", json.GetProperty("stop_reason").GetString());
        Assert.Equal(3, json.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal("012", json.GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("{not json", "There was an error parsing the body of your request")]
    [InlineData("""{"max_tokens":5,"messages":[]}""", "model: Field required")]
    [InlineData("""{"model":"m","messages":[]}""", "max_tokens: Field required")]
    [InlineData("""{"model":"m","max_tokens":5}""", "messages: Field required")]
    [InlineData("""{"model":"m","max_tokens":0,"messages":[]}""", "max_tokens: Input should be greater than or equal to 1")]
    public async Task Invalid_bodies_get_invalid_request_error(string body, string message)
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);

        using var response = await http.SendAsync(Post("v1/messages", body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = await JsonAsync(response);
        Assert.Equal("invalid_request_error", json.GetProperty("error").GetProperty("type").GetString());
        Assert.StartsWith(message, json.GetProperty("error").GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("Please use a tool to check the weather", null)]
    [InlineData("Hello", """{"type":"any"}""")]
    [InlineData("Hello", """{"type":"tool","name":"get_time"}""")]
    public async Task Tool_requests_get_a_tool_use_reply(string text, string? toolChoice)
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var body = $$$"""
            {"model":"claude-sonnet-4-5","max_tokens":200,
             "tools":[{"name":"get_weather","description":"w","input_schema":{"type":"object"}},
                      {"name":"get_time","description":"t","input_schema":{"type":"object"}}],
             {{{(toolChoice is null ? "" : $"\"tool_choice\":{toolChoice},")}}}
             "messages":[{"role":"user","content":[{"type":"text","text":"{{{text}}}"}]}]}
            """;

        using var response = await http.SendAsync(Post("v1/messages", body));

        var json = await JsonAsync(response);
        Assert.Equal("tool_use", json.GetProperty("stop_reason").GetString());
        var block = Assert.Single(json.GetProperty("content").EnumerateArray());
        Assert.Equal("tool_use", block.GetProperty("type").GetString());
        Assert.StartsWith("toolu_", block.GetProperty("id").GetString());
        Assert.Equal(toolChoice?.Contains("get_time") == true ? "get_time" : "get_weather", block.GetProperty("name").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Object, block.GetProperty("input").ValueKind);
    }

    [Fact]
    public async Task Tools_without_a_request_for_one_get_text()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var body = """{"model":"m","max_tokens":50,"tools":[{"name":"x","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"Hello"}]}""";

        using var response = await http.SendAsync(Post("v1/messages", body));

        var json = await JsonAsync(response);
        Assert.Equal("end_turn", json.GetProperty("stop_reason").GetString());
        Assert.Equal("text", json.GetProperty("content")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Count_tokens_estimates_a_quarter_of_the_bytes()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var body = """{"model":"claude-haiku-4-5","messages":[{"role":"user","content":"How many tokens is this?"}]}""";

        using var response = await http.SendAsync(Post("v1/messages/count_tokens?beta=true", body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await JsonAsync(response);
        Assert.Equal((Encoding.UTF8.GetByteCount(body) + 3) / 4, json.GetProperty("input_tokens").GetInt32());
    }

    [Fact]
    public async Task Models_are_listed_and_found_by_id()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        http.DefaultRequestHeaders.Add("x-api-key", Key);

        using var all = await http.GetAsync("v1/models?limit=1000");
        var list = await JsonAsync(all);
        var ids = list.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToArray();
        Assert.Contains("claude-sonnet-4-5-20250929", ids);
        Assert.Contains(ids, id => id!.StartsWith("claude-opus-4-1", StringComparison.Ordinal));
        Assert.Contains(ids, id => id!.StartsWith("claude-haiku-4-5", StringComparison.Ordinal));
        Assert.False(list.GetProperty("has_more").GetBoolean());
        Assert.Equal(ids[0], list.GetProperty("first_id").GetString());
        Assert.Equal(ids[^1], list.GetProperty("last_id").GetString());

        using var page = await http.GetAsync("v1/models?limit=1");
        var one = await JsonAsync(page);
        Assert.Single(one.GetProperty("data").EnumerateArray());
        Assert.True(one.GetProperty("has_more").GetBoolean());

        using var found = await http.GetAsync("v1/models/claude-sonnet-4-5-20250929");
        var model = await JsonAsync(found);
        Assert.Equal("model", model.GetProperty("type").GetString());
        Assert.Equal("Claude Sonnet 4.5", model.GetProperty("display_name").GetString());
        Assert.Equal("2025-09-29T00:00:00Z", model.GetProperty("created_at").GetString());

        using var missing = await http.GetAsync("v1/models/claude-nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("not_found_error", await ErrorTypeAsync(missing));
    }

    [Fact]
    public async Task Root_answers_head_and_get_and_unknown_paths_get_not_found_error()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);

        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, ""));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.StartsWith("req_", Header(head, "request-id"));
        Assert.NotNull(Header(head, "anthropic-ratelimit-requests-limit"));

        using var get = await http.GetAsync("");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);

        using var unknown = await http.GetAsync("v2/whatever.json");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("not_found_error", await ErrorTypeAsync(unknown));
    }

    [Fact]
    public async Task Configured_keys_are_enforced_on_both_headers()
    {
        await using var server = await FakeUpstreamServer.StartAsync(new() { ApiKeys = ["sk-good"] });
        using var http = Client(server);

        using var wrong = await http.SendAsync(Post("v1/messages", Body(), key: "sk-bad"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("authentication_error", await ErrorTypeAsync(wrong));

        using var missing = await http.SendAsync(Post("v1/messages", Body(), key: null));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);

        using var viaApiKey = await http.SendAsync(Post("v1/messages", Body(), key: "sk-good"));
        Assert.Equal(HttpStatusCode.OK, viaApiKey.StatusCode);

        var bearer = Post("v1/messages", Body(), key: null);
        bearer.Headers.Authorization = new("Bearer", "sk-good");
        using var viaBearer = await http.SendAsync(bearer);
        Assert.Equal(HttpStatusCode.OK, viaBearer.StatusCode);
    }
}
