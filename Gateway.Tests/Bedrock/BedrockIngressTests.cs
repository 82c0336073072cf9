using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.FakeUpstream;
using Gateway.Front.Bedrock.EventStream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Bedrock;

/// <summary>
/// The gateway as a Bedrock endpoint (what Claude Code calls with <c>CLAUDE_CODE_USE_BEDROCK=1</c>): Bedrock ids
/// routed by the gateway's rules to any kind of upstream, answers framed as eventstream, errors kept Anthropic's.
/// </summary>
public sealed class BedrockIngressTests : IAsyncLifetime
{
    private FakeUpstreamServer _upstream = null!;
    private FrontHost _front = null!;
    private HttpClient _client = null!;

    private const string Body = """{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}],"anthropic_beta":["claude-code-20250219"]}""";

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync();
        _front = await BedrockHost.StartPassThroughAsync(_upstream.BaseAddress);
        _client = new HttpClient { BaseAddress = _front.BaseAddress };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-client");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _front.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private async Task<List<(string Kind, string Payload)>> StreamAsync(string modelId)
    {
        using var response = await _client.PostAsync($"model/{modelId}/invoke-with-response-stream", Json.Body(Body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.amazon.eventstream", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return Frames(bytes);
    }

    internal static List<(string Kind, string Payload)> Frames(byte[] bytes)
    {
        using var decoder = new EventStreamDecoder();
        decoder.Append(bytes);
        var frames = new List<(string, string)>();
        while (decoder.TryRead(out var message))
        {
            if (message.MessageType.SequenceEqual("event"u8))
            {
                Assert.True(BedrockChunk.TryDecode(message.Payload, out var decoded, out var length));
                frames.Add(("chunk", Encoding.UTF8.GetString(decoded, 0, length)));
                System.Buffers.ArrayPool<byte>.Shared.Return(decoded);
            }
            else
            {
                frames.Add((Encoding.UTF8.GetString(message.ExceptionType), Encoding.UTF8.GetString(message.Payload)));
            }
        }
        Assert.Null(decoder.Error);
        Assert.Equal(0, decoder.Pending);
        return frames;
    }

    [Theory]
    [InlineData("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "aws")]       // a Bedrock-routed model
    [InlineData("us.anthropic.claude-haiku-4-5-20251001-v1:0", "anthropic")]  // an Anthropic-routed one
    public async Task A_stream_comes_back_as_eventstream_chunks_of_anthropic_events_from_any_upstream(string modelId, string provider)
    {
        var frames = await StreamAsync(modelId);

        Assert.All(frames, f => Assert.Equal("chunk", f.Kind));
        Assert.Contains("\"type\":\"message_start\"", frames[0].Payload);
        Assert.Contains("\"type\":\"message_stop\"", frames[^1].Payload);
        Assert.Contains(frames, f => f.Payload.Contains("content_block_delta"));

        var sent = _upstream.Received[^1];
        var body = Json.Parse(Encoding.UTF8.GetString(sent.Body));
        if (provider == "aws")
        {
            Assert.Equal("/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream", sent.PathAndQuery);
            Assert.Equal("claude-code-20250219", body.GetProperty("anthropic_beta")[0].GetString());
        }
        else
        {
            Assert.StartsWith("/v1/messages", sent.PathAndQuery);
            Assert.Equal("claude-haiku-4-5-20251001", body.GetProperty("model").GetString());
            Assert.True(body.GetProperty("stream").GetBoolean());
            Assert.False(body.TryGetProperty("anthropic_version", out _));
            Assert.Equal("claude-code-20250219", sent.Headers["anthropic-beta"]);
        }
    }

    [Fact]
    public async Task Invoke_answers_a_message_json()
    {
        using var response = await _client.PostAsync("model/us.anthropic.claude-haiku-4-5-20251001-v1:0/invoke", Json.Body(Body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("message", Json.Parse(await response.Content.ReadAsStringAsync()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_mid_stream_overload_becomes_a_bedrock_exception_frame()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "model/us.anthropic.claude-haiku-4-5-20251001-v1:0/invoke-with-response-stream") { Content = Json.Body(Body) };
        request.Headers.Add(FakeUpstreamHeaders.Fault, "error-mid-stream");
        using var response = await _client.SendAsync(request);
        var frames = Frames(await response.Content.ReadAsByteArrayAsync());

        Assert.Equal("modelStreamErrorException", frames[^1].Kind);
        Assert.Contains("\"originalStatusCode\":529", frames[^1].Payload);
    }

    [Fact]
    public async Task Errors_keep_anthropic_status_and_shape_and_hostile_ids_are_refused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "model/us.anthropic.claude-haiku-4-5-20251001-v1:0/invoke-with-response-stream") { Content = Json.Body(Body) };
        request.Headers.Add(FakeUpstreamHeaders.Fault, "529");
        using var overloaded = await _client.SendAsync(request);
        Assert.Equal(529, (int)overloaded.StatusCode);
        Assert.Equal("overloaded_error", Json.AssertAnthropicError(await overloaded.Content.ReadAsStringAsync()));

        using var hostile = await _client.PostAsync("model/us.anthropic.x%20y%0A/invoke", Json.Body(Body));
        Assert.Equal(HttpStatusCode.BadRequest, hostile.StatusCode);
        Assert.Equal("invalid_request_error", Json.AssertAnthropicError(await hostile.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task The_inference_profile_probe_is_answered_without_a_key()
    {
        using var anonymous = new HttpClient { BaseAddress = _front.BaseAddress };
        using var response = await anonymous.GetAsync("inference-profiles?type=SYSTEM_DEFINED");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ids = Json.Parse(await response.Content.ReadAsStringAsync()).GetProperty("inferenceProfileSummaries").EnumerateArray()
            .Select(p => p.GetProperty("inferenceProfileId").GetString()).ToArray();
        Assert.Contains("us.anthropic.claude-sonnet-4-5-20250929-v1:0", ids);
    }
}
