using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Bedrock;

/// <summary>
/// A real front with a <c>bedrock</c> provider, against the fake Bedrock that recomputes every SigV4 signature
/// and checks the body as Bedrock does: what goes out (path, body, headers) and what comes back (SSE from the
/// eventstream, errors in Anthropic's shape and statuses, retries).
/// </summary>
public sealed class BedrockProviderTests : IAsyncLifetime
{
    private FakeUpstreamServer _upstream = null!;
    private FrontHost _front = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync();
        _front = await BedrockHost.StartPassThroughAsync(_upstream.BaseAddress);
        _client = new HttpClient { BaseAddress = _front.BaseAddress };
        _client.DefaultRequestHeaders.Add("x-api-key", "sk-client");
        _client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _front.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private Task<HttpResponseMessage> PostAsync(string body, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages?beta=true") { Content = Json.Body(body) };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private RecordedRequest LastBedrockRequest() => _upstream.Received.Last(r => r.PathAndQuery.StartsWith("/model/", StringComparison.Ordinal));

    [Fact]
    public async Task A_message_goes_to_the_invoke_path_signed_with_the_body_bedrock_takes()
    {
        using var response = await PostAsync(Json.SmallRequest,
            ("anthropic-beta", "interleaved-thinking-2025-05-14, fine-grained-tool-streaming-2025-05-14"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(HttpStatusCode.OK == response.StatusCode, text);
        var message = Json.Parse(text);
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.True(message.GetProperty("usage").GetProperty("output_tokens").GetInt32() > 0);
        Assert.True(response.Headers.Contains("request-id"));

        var sent = LastBedrockRequest();
        Assert.Equal("/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke", Uri.UnescapeDataString(sent.PathAndQuery));
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=" + FakeUpstreamOptions.DefaultBedrockAccessKey + "/", sent.Headers["Authorization"]);
        Assert.False(sent.Headers.ContainsKey("x-api-key"));
        Assert.False(sent.Headers.ContainsKey("anthropic-beta"));
        Assert.False(sent.Headers.ContainsKey("anthropic-version"));
        var body = Json.Parse(Encoding.UTF8.GetString(sent.Body));
        Assert.Equal("bedrock-2023-05-31", body.GetProperty("anthropic_version").GetString());
        Assert.False(body.TryGetProperty("model", out _));
        Assert.Equal(["interleaved-thinking-2025-05-14", "fine-grained-tool-streaming-2025-05-14"],
            body.GetProperty("anthropic_beta").EnumerateArray().Select(b => b.GetString()!).ToArray());
        Assert.Equal("Say hello", body.GetProperty("messages")[0].GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_stream_comes_back_as_anthropic_sse_event_by_event()
    {
        var clock = Stopwatch.StartNew();
        using var response = await PostAsync(Json.SmallStreamingRequest, (FakeUpstreamHeaders.EventIntervalMs, "150"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<(string Name, JsonElement Data, TimeSpan At)>();
        string? name = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add((name!, Json.Parse(line[6..]), clock.Elapsed));
            }
        }

        Assert.Equal("message_start", events[0].Name);
        Assert.Equal("message_stop", events[^1].Name);
        Assert.Contains(events, e => e.Name == "content_block_delta");
        Assert.All(events, e => Assert.Equal(e.Name, e.Data.GetProperty("type").GetString()));
        Assert.True(events.Single(e => e.Name == "message_delta").Data.GetProperty("usage").GetProperty("output_tokens").GetInt32() > 0);
        // Flushed per event: the first arrived well before the last was sent (events are 150 ms apart upstream).
        Assert.True(events[^1].At - events[0].At > TimeSpan.FromMilliseconds(600), $"first at {events[0].At}, last at {events[^1].At}");
        Assert.EndsWith("/invoke-with-response-stream", LastBedrockRequest().PathAndQuery);
        Assert.False(Json.Parse(Encoding.UTF8.GetString(LastBedrockRequest().Body)).TryGetProperty("stream", out _));
    }

    [Theory]
    [InlineData("400", 400, "invalid_request_error", "Malformed input request")]
    [InlineData("403", 403, "permission_error", "You don't have access")]
    [InlineData("429", 429, "rate_limit_error", "Too many requests")]
    [InlineData("500", 500, "api_error", "internal error")]
    public async Task Bedrock_errors_get_anthropic_statuses_and_shape_with_the_message_kept(string fault, int status, string type, string words)
    {
        using var response = await PostAsync(Json.SmallRequest, (FakeUpstreamHeaders.Fault, fault));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(type, Json.AssertAnthropicError(text));
        Assert.Contains(words, text);
        if (status == 429)
        {
            Assert.Equal("1", response.Headers.GetValues("retry-after").Single());
        }
    }

    [Fact]
    public async Task An_unavailable_bedrock_is_retried_and_the_retry_is_answered()
    {
        _upstream.Faults.Enqueue("503", 1);

        using var response = await PostAsync(Json.SmallRequest);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, _upstream.Received.Count(r => r.PathAndQuery.StartsWith("/model/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Unavailable_until_retries_run_out_is_an_overloaded_error()
    {
        _upstream.Faults.Enqueue("503", 10);

        using var response = await PostAsync(Json.SmallRequest);

        Assert.Equal(529, (int)response.StatusCode);
        Assert.Equal("overloaded_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("throttlingException", "rate_limit_error")]
    [InlineData("modelStreamErrorException", "overloaded_error")]
    [InlineData("internalServerException", "api_error")]
    public async Task A_mid_stream_exception_becomes_an_anthropic_error_event(string exception, string type)
    {
        using var response = await PostAsync(Json.SmallStreamingRequest, (FakeUpstreamHeaders.Fault, "error-mid-stream"),
            ("x-fake-bedrock-exception", exception));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: content_block_delta", text);
        var error = text.Split('\n').Single(l => l.StartsWith("data: ", StringComparison.Ordinal) && l.Contains("\"error\""));
        Assert.Equal(type, Json.Parse(error[6..]).GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("event: error", text);
    }

    [Fact]
    public async Task A_model_bedrock_cannot_serve_is_refused_and_never_reaches_a_url()
    {
        var before = _upstream.Received.Count;
        foreach (var model in new[] { "claude-sonnet-9-evil/../../x", "claude-sonnet-4-5?x=1", "claude-sonnet-unknown" })
        {
            using var response = await PostAsync(Json.SmallRequest.Replace("claude-sonnet-4-5", model));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("not_found_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        }
        Assert.Equal(before, _upstream.Received.Count);
    }

    [Fact]
    public async Task A_bedrock_id_passes_through_escaped_in_the_path_and_dated_names_map()
    {
        using var passed = await PostAsync(Json.SmallRequest.Replace("claude-sonnet-4-5", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"));
        Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
        Assert.EndsWith("/model/eu.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke", LastBedrockRequest().PathAndQuery);

        using var routed = await PostAsync(Json.SmallRequest.Replace("claude-sonnet-4-5", "claude-sonnet-4-20250514"));
        Assert.Equal(HttpStatusCode.OK, routed.StatusCode);
        Assert.EndsWith("/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/invoke", LastBedrockRequest().PathAndQuery);
    }

    [Fact]
    public async Task A_signature_bedrock_does_not_accept_is_an_authentication_error_with_bedrocks_reason()
    {
        // The fake now knows another secret for the access key the gateway signs with.
        _upstream.Options.BedrockCredentials = new() { [FakeUpstreamOptions.DefaultBedrockAccessKey] = "another-secret" };

        using var response = await PostAsync(Json.SmallRequest);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("authentication_error", Json.AssertAnthropicError(text));
        Assert.Contains("signature we calculated does not match", text);
    }
}
