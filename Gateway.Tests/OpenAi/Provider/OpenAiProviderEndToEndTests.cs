using System.Net;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.OpenAi.Provider;

/// <summary>
/// The official Anthropic SDK talks to the gateway as always while a routing rule sends its model to
/// an OpenAI-compatible provider (the fake's <c>/v1/chat/completions</c>): streaming, tools, errors.
/// </summary>
public sealed class OpenAiProviderEndToEndTests : IAsyncLifetime
{
    private FakeUpstreamServer _upstream = null!;
    private FrontHost _front = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync();
        _front = await OpenAiProviderHost.StartPassThroughAsync(_upstream.BaseAddress);
    }

    public async Task DisposeAsync()
    {
        await _front.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private AnthropicClient Client() => new()
    {
        BaseUrl = _front.BaseAddress.ToString(),
        ApiKey = "sk-client",
        MaxRetries = 0,
        Timeout = TimeSpan.FromSeconds(30),
    };

    private RecordedRequest LastChat() => _upstream.Received.Last(r => r.PathAndQuery.StartsWith("/v1/chat/completions"));

    private static Tool Weather() => new()
    {
        Name = "get_weather",
        Description = "Get the weather for a city",
        InputSchema = new InputSchema
        {
            Properties = new Dictionary<string, JsonElement> { ["city"] = JsonSerializer.SerializeToElement(new { type = "string" }) },
            Required = ["city"],
        },
    };

    [Fact]
    public async Task Streaming_text_arrives_as_anthropic_events_with_the_final_usage()
    {
        var text = new StringBuilder();
        long output = 0, input = 0;
        string? stop = null, model = null;
        await foreach (var ev in Client().Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "gpt-4o-mini",
            MaxTokens = 256,
            System = "You are terse.",
            Messages = [new UserMessageParam { Content = "Say hello" }],
        }))
        {
            if (ev.TryPickStart(out var start))
            {
                model = start.Message.Model.Raw();
            }
            else if (ev.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var t))
            {
                text.Append(t.Text);
            }
            else if (ev.TryPickDelta(out var messageDelta))
            {
                output = messageDelta.Usage.OutputTokens;
                input = messageDelta.Usage.InputTokens ?? 0;
                stop = messageDelta.Delta.StopReason?.Raw();
            }
        }

        Assert.Equal(_upstream.Options.ReplyText, text.ToString());
        Assert.Equal("gpt-4o-mini", model);
        Assert.Equal("end_turn", stop);
        Assert.Equal(_upstream.Options.OutputTokens, output);
        Assert.True(input > 0);

        var sent = LastChat();
        Assert.Equal("/v1/chat/completions", sent.PathAndQuery);
        Assert.Equal("Bearer " + OpenAiProviderHost.OpenAiKey, sent.Headers["Authorization"]);
        Assert.False(sent.Headers.ContainsKey("x-api-key"));
        Assert.DoesNotContain(sent.Headers.Keys, h => h.StartsWith("anthropic-", StringComparison.OrdinalIgnoreCase));
        var body = Json.Parse(Encoding.UTF8.GetString(sent.Body));
        Assert.True(body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.Equal(256, body.GetProperty("max_completion_tokens").GetInt32());
        Assert.Equal("system", body.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.Equal("You are terse.", body.GetProperty("messages")[0].GetProperty("content").GetString());
    }

    [Fact]
    public async Task Each_chunk_reaches_the_client_when_the_upstream_sends_it()
    {
        _upstream.Options.EventDelayMs = 150;
        using var client = _front.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = Json.Body(Json.SmallStreamingRequest.Replace("claude-sonnet-4-5", "gpt-4o")),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        var reads = new List<(TimeSpan At, string Text)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            reads.Add((clock.Elapsed, Encoding.UTF8.GetString(buffer, 0, read)));
        }
        var all = string.Concat(reads.Select(r => r.Text));
        Assert.Contains("event: message_stop", all);
        // The text deltas came in many reads spread over the upstream's pacing, not in one block at the end.
        var deltaReads = reads.Where(r => r.Text.Contains("text_delta")).ToList();
        Assert.True(deltaReads.Count >= 5, $"text deltas arrived in {deltaReads.Count} reads");
        Assert.True(deltaReads[^1].At - deltaReads[0].At > TimeSpan.FromMilliseconds(500), "deltas were not spread over time");
    }

    [Fact]
    public async Task Non_streaming_message_with_usage_and_cached_tokens()
    {
        _upstream.Options.OpenAiCachedPromptTokens = 7;
        var message = await Client().Messages.Create(new MessageCreateParams
        {
            Model = "gpt-4o",
            MaxTokens = 100,
            Messages = [new UserMessageParam { Content = "Say hello" }],
        });

        Assert.Equal(_upstream.Options.ReplyText, string.Concat(message.Content.Select(b => b.TryPickText(out var t) ? t.Text : "")));
        Assert.Equal("end_turn", message.StopReason?.Raw());
        Assert.Equal("gpt-4o", message.Model.Raw());
        Assert.StartsWith("chatcmpl-", message.ID);
        Assert.Equal(7, message.Usage.CacheReadInputTokens);
        Assert.Equal(0, message.Usage.CacheCreationInputTokens);
        var prompt = (LastChat().Body.Length + 3) / 4;
        Assert.Equal(prompt - 7, message.Usage.InputTokens);
        Assert.Equal(_upstream.Options.OutputTokens, message.Usage.OutputTokens);
    }

    [Fact]
    public async Task A_reply_cut_by_max_tokens_stops_with_max_tokens()
    {
        var message = await Client().Messages.Create(new MessageCreateParams
        {
            Model = "gpt-4o",
            MaxTokens = 3,
            Messages = [new UserMessageParam { Content = "Say hello" }],
        });
        Assert.Equal("max_tokens", message.StopReason?.Raw());
        Assert.Equal(3, message.Usage.OutputTokens);
    }

    [Fact]
    public async Task Streaming_tool_use_round_trip()
    {
        var client = Client();
        var history = new List<MessageParam> { new UserMessageParam { Content = "Use the tool to get the weather in Paris" } };
        var request = new MessageCreateParams { Model = "gpt-4o", MaxTokens = 256, Tools = [Weather()], Messages = history };

        string? id = null, name = null, stop = null;
        var json = new StringBuilder();
        await foreach (var ev in client.Messages.CreateStreaming(request))
        {
            if (ev.TryPickContentBlockStart(out var start) && start.ContentBlock.TryPickToolUse(out var use))
            {
                id = use.ID;
                name = use.Name;
            }
            else if (ev.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickInputJson(out var partial))
            {
                json.Append(partial.PartialJson);
            }
            else if (ev.TryPickDelta(out var messageDelta))
            {
                stop = messageDelta.Delta.StopReason?.Raw();
            }
        }
        Assert.Equal("tool_use", stop);
        Assert.Equal("get_weather", name);
        Assert.StartsWith("call_", id);
        Assert.Equal("""{"city":"fake-city"}""", json.ToString());

        history.Add(new AssistantMessageParam
        {
            Content = new List<ContentBlockParam>
            {
                new TextBlockParam { Text = "Checking." },
                new ToolUseBlockParam { ID = id!, Name = name!, Input = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json.ToString())! },
            },
        });
        history.Add(new UserMessageParam { Content = new List<ContentBlockParam> { new ToolResultBlockParam(id!) { Content = "18C and sunny" } } });
        var final = await client.Messages.Create(request with { Messages = history });
        Assert.Equal("end_turn", final.StopReason?.Raw());
        Assert.Equal(_upstream.Options.ReplyText, string.Concat(final.Content.Select(b => b.TryPickText(out var t) ? t.Text : "")));

        var messages = Json.Parse(Encoding.UTF8.GetString(LastChat().Body)).GetProperty("messages");
        Assert.Equal(3, messages.GetArrayLength());
        Assert.Equal("Checking.", messages[1].GetProperty("content").GetString());
        var call = messages[1].GetProperty("tool_calls")[0];
        Assert.Equal(id, call.GetProperty("id").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("fake-city", Json.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!).GetProperty("city").GetString());
        Assert.Equal("tool", messages[2].GetProperty("role").GetString());
        Assert.Equal(id, messages[2].GetProperty("tool_call_id").GetString());
        Assert.Equal("18C and sunny", messages[2].GetProperty("content").GetString());
    }

    [Fact]
    public async Task Non_streaming_tool_use_carries_the_parsed_input()
    {
        var message = await Client().Messages.Create(new MessageCreateParams
        {
            Model = "gpt-4o",
            MaxTokens = 256,
            Tools = [Weather()],
            ToolChoice = new ToolChoiceTool { Name = "get_weather" },
            Messages = [new UserMessageParam { Content = "Weather in Paris?" }],
        });
        Assert.Equal("tool_use", message.StopReason?.Raw());
        var use = message.Content.Select(b => b.TryPickToolUse(out var u) ? u : null).Single(u => u is not null)!;
        Assert.Equal("fake-city", use.Input["city"].GetString());
        var body = Json.Parse(Encoding.UTF8.GetString(LastChat().Body));
        Assert.Equal("get_weather", body.GetProperty("tool_choice").GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("function", body.GetProperty("tools")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_upstream_429_surfaces_as_a_rate_limit_error_with_its_retry_after()
    {
        _upstream.Faults.Enqueue("429", 1);
        using var client = _front.CreateClient();
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest.Replace("claude-sonnet-4-5", "gpt-4o")));
        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("rate_limit_error", Json.AssertAnthropicError(body));
        Assert.Contains("Rate limit reached", body);
        Assert.Equal("1", response.Headers.GetValues("retry-after").Single());
        Assert.Equal("0", response.Headers.GetValues("x-ratelimit-remaining-requests").Single());

        // The key now cools down for its retry-after: the gateway answers for it, in the same shape the SDK maps.
        var limited = await Assert.ThrowsAsync<AnthropicRateLimitException>(() => Client().Messages.Create(new MessageCreateParams
        {
            Model = "gpt-4o",
            MaxTokens = 64,
            Messages = [new UserMessageParam { Content = "hi" }],
        }));
        Assert.Equal("rate_limit_error", limited.Type?.Raw());
        Assert.Single(_upstream.Received, r => r.PathAndQuery.StartsWith("/v1/chat"));
    }

    [Fact]
    public async Task Held_5xx_failures_are_retried_and_a_final_one_is_replayed_in_anthropic_shape()
    {
        using var client = _front.CreateClient();
        _upstream.Faults.Enqueue("500", 1);
        using (var retried = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest.Replace("claude-sonnet-4-5", "gpt-4o"))))
        {
            Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
            Assert.Equal("message", Json.Parse(await retried.Content.ReadAsStringAsync()).GetProperty("type").GetString());
        }

        _upstream.Faults.Enqueue("503", 10);
        using var failed = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest.Replace("claude-sonnet-4-5", "gpt-4o")));
        _upstream.Faults.Clear();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("application/json", failed.Content.Headers.ContentType?.MediaType);
        Assert.Equal("overloaded_error", Json.AssertAnthropicError(await failed.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task A_mid_stream_upstream_error_becomes_an_anthropic_error_event()
    {
        _upstream.Faults.Enqueue("error-mid-stream", 1);
        using var client = _front.CreateClient();
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallStreamingRequest.Replace("claude-sonnet-4-5", "gpt-4o")));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("event: error", text);
        Assert.Contains("\"type\":\"api_error\"", text);
        Assert.DoesNotContain("message_stop", text);
    }

    [Fact]
    public async Task An_upstream_reset_mid_stream_cuts_the_client_after_the_events_already_translated()
    {
        _upstream.Faults.Enqueue("reset-mid-stream", 1);
        using var client = _front.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = Json.Body(Json.SmallStreamingRequest.Replace("claude-sonnet-4-5", "gpt-4o")),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = new StringBuilder();
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            await using var stream = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[4096];
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                received.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
        });
        Assert.Contains("text_delta", received.ToString());
        Assert.DoesNotContain("message_stop", received.ToString());
    }

    [Fact]
    public async Task Count_tokens_gets_the_gateways_estimate_and_other_endpoints_a_404()
    {
        using var client = _front.CreateClient();
        var body = Json.SmallRequest.Replace("claude-sonnet-4-5", "gpt-4o");
        using var count = await client.PostAsync("v1/messages/count_tokens", Json.Body(body));
        Assert.Equal(HttpStatusCode.OK, count.StatusCode);
        Assert.Equal((Encoding.UTF8.GetByteCount(body) + 3) / 4, Json.Parse(await count.Content.ReadAsStringAsync()).GetProperty("input_tokens").GetInt64());
        Assert.Equal("true", count.Headers.GetValues("x-gateway-token-estimate").Single());
        Assert.DoesNotContain(_upstream.Received, r => r.PathAndQuery.Contains("count_tokens") || r.PathAndQuery.StartsWith("/v1/chat"));

        // The other provider is untouched: Claude models still go to the Anthropic API as they are.
        using var anthropic = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal(HttpStatusCode.OK, anthropic.StatusCode);
        var sent = _upstream.Received.Last();
        Assert.Equal("/v1/messages", sent.PathAndQuery);
        Assert.Equal(OpenAiProviderHost.AnthropicKey, sent.Headers["x-api-key"]);
        Assert.Equal(Json.SmallRequest, Encoding.UTF8.GetString(sent.Body));
    }

    [Fact]
    public async Task The_pool_learns_headroom_from_openai_rate_limit_headers()
    {
        _upstream.Options.RequestsPerMinutePerKey = 10;
        using var client = _front.CreateClient();
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest.Replace("claude-sonnet-4-5", "gpt-4o")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var directory = _front.Services.GetRequiredService<Gateway.Front.Upstreams.UpstreamDirectory>();
        var key = directory.Find("oai")!.Pool.Keys.Single();
        // 9 of 10 left right after the request: about 0.9, refilling from there.
        Assert.InRange(key.Headroom(DateTimeOffset.UtcNow), 0.85, 0.95);
    }
}
