using System.Net;
using System.Net.Http.Headers;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.FakeUpstream.OpenAi;

/// <summary>The fake's OpenAI-compatible endpoint answers like OpenAI: chunks, tool call fragments, usage, errors, headers.</summary>
public sealed class ChatCompletionsEndpointTests : IAsyncLifetime
{
    private FakeUpstreamServer _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ReplyText = "Hello there", OutputTokens = 4 });
        _client = new HttpClient { BaseAddress = _server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private Task<HttpResponseMessage> PostAsync(string body, string? bearer = "sk-oai", string? fault = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json.Body(body) };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        if (fault is not null)
        {
            request.Headers.Add(FakeUpstreamHeaders.Fault, fault);
        }
        return _client.SendAsync(request);
    }

    private const string Weather = """{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city","days"]}}}""";

    [Fact]
    public async Task A_stream_sends_role_content_finish_usage_and_done()
    {
        using var response = await PostAsync("""{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("4000", response.Headers.GetValues("x-ratelimit-limit-requests").Single());
        var lines = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", lines[^1]);
        var chunks = lines[..^1].Select(l => Json.Parse(l["data: ".Length..])).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("Hello there", string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta")).Where(d => d.TryGetProperty("content", out _)).Select(d => d.GetProperty("content").GetString())));
        Assert.Equal("stop", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength());
        Assert.Equal(4, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Without_include_usage_a_stream_carries_no_usage()
    {
        using var response = await PostAsync("""{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        Assert.DoesNotContain("\"usage\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Tool_calls_stream_their_arguments_in_fragments_and_parallel_asks_two()
    {
        var second = Weather.Replace("get_weather", "get_time");
        using var response = await PostAsync($$"""{"model":"gpt-4o","stream":true,"tools":[{{Weather}},{{second}}],"messages":[{"role":"user","content":"Use a tool, in parallel"}]}""");
        var chunks = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
            .Select(l => Json.Parse(l["data: ".Length..])).ToList();
        var calls = chunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta")).Where(d => d.TryGetProperty("tool_calls", out _))
            .Select(d => d.GetProperty("tool_calls")[0]).ToList();
        foreach (var index in new[] { 0, 1 })
        {
            var mine = calls.Where(c => c.GetProperty("index").GetInt32() == index).ToList();
            Assert.True(mine.Count >= 3, "arguments come in fragments");
            Assert.StartsWith("call_", mine[0].GetProperty("id").GetString());
            var arguments = Json.Parse(string.Concat(mine.Select(c => c.GetProperty("function").GetProperty("arguments").GetString())));
            Assert.Equal("fake-city", arguments.GetProperty("city").GetString());
            Assert.Equal(1, arguments.GetProperty("days").GetInt32());
        }
        Assert.Equal("tool_calls", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Theory]
    [InlineData("""{"model":"gpt-4o","system":"x","messages":[{"role":"user","content":"hi"}]}""", "Unrecognized request argument supplied: system")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"x"}]}]}""", "Invalid content part")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"tool","tool_call_id":"t","content":"x"}]}""", "must be a response to a preceeding message with 'tool_calls'")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"user","content":"hi"}]}""", "did not have response messages: c1")]
    [InlineData("""{"model":"gpt-4o","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""", "only allowed when 'stream' is enabled")]
    [InlineData("""{"model":"gpt-4o","max_tokens":5,"max_completion_tokens":5,"messages":[{"role":"user","content":"hi"}]}""", "cannot both be set")]
    [InlineData("""{"model":"gpt-4o","tools":[{"name":"anthropic_style","input_schema":{}}],"messages":[{"role":"user","content":"hi"}]}""", "Invalid 'tools'")]
    public async Task Requests_openai_would_refuse_get_its_400(string body, string message)
    {
        using var response = await PostAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = Json.Parse(await response.Content.ReadAsStringAsync()).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Authentication_is_bearer_only_and_faults_use_openai_shapes()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json.Body("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""") };
        request.Headers.Add("x-api-key", "sk-oai");
        using (var noBearer = await _client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, noBearer.StatusCode);
            Assert.Equal("invalid_api_key", Json.Parse(await noBearer.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("code").GetString());
        }
        using (var limited = await PostAsync("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""", fault: "429"))
        {
            Assert.Equal((HttpStatusCode)429, limited.StatusCode);
            Assert.Equal("1", limited.Headers.GetValues("retry-after").Single());
            Assert.Equal("0", limited.Headers.GetValues("x-ratelimit-remaining-requests").Single());
            Assert.Equal("rate_limit_exceeded", Json.Parse(await limited.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("code").GetString());
        }
        using (var failing = await PostAsync("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""", fault: "500"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, failing.StatusCode);
            Assert.Equal("server_error", Json.Parse(await failing.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("type").GetString());
        }
        using (var midStream = await PostAsync("""{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}""", fault: "error-mid-stream"))
        {
            var text = await midStream.Content.ReadAsStringAsync();
            Assert.Contains("data: {\"error\":", text);
            Assert.DoesNotContain("[DONE]", text);
        }
        Assert.Equal(4, _server.Received.Count);
    }

    [Fact]
    public async Task A_per_key_limit_answers_429_with_openai_headers()
    {
        _server.Options.RequestsPerMinutePerKey = 1;
        using (var first = await PostAsync("""{"model":"m","messages":[{"role":"user","content":"hi"}]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("0", first.Headers.GetValues("x-ratelimit-remaining-requests").Single());
            Assert.EndsWith("s", first.Headers.GetValues("x-ratelimit-reset-requests").Single());
        }
        using var second = await PostAsync("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal((HttpStatusCode)429, second.StatusCode);
        Assert.Contains("Rate limit reached", await second.Content.ReadAsStringAsync());
    }
}
