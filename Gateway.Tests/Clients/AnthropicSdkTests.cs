using System.Text.Json;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Clients;

/// <summary>The official Anthropic C# SDK, pointed at the gateway, works without a code change.</summary>
public sealed class AnthropicSdkTests : GatewayTestBase
{
    private AnthropicClient Client() => new()
    {
        BaseUrl = Front.BaseAddress.ToString(),
        ApiKey = "sk-sdk-client",
        MaxRetries = 0,
        Timeout = TimeSpan.FromSeconds(30),
    };

    [Fact]
    public async Task Non_streaming_message_with_usage()
    {
        var message = await Client().Messages.Create(new MessageCreateParams
        {
            Model = "claude-sonnet-4-5",
            MaxTokens = 256,
            System = "You are terse.",
            Messages = [new UserMessageParam { Content = "Say hello" }],
        });

        var text = string.Concat(message.Content.Select(b => b.TryPickText(out var t) ? t.Text : ""));
        Assert.Equal(Upstream.Options.ReplyText, text);
        Assert.True(message.Usage.InputTokens > 0);
        Assert.True(message.Usage.OutputTokens > 0);
        var seen = Upstream.Received.Last();
        Assert.Equal("sk-upstream-test", seen.Headers["x-api-key"]);
        Assert.Equal("csharp", seen.Headers["X-Stainless-Lang"]);
        Assert.False(seen.Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task Streaming_message_events_and_final_usage()
    {
        var text = new System.Text.StringBuilder();
        long output = 0;
        var sawStart = false;
        await foreach (var ev in Client().Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "claude-sonnet-4-5",
            MaxTokens = 256,
            Messages = [new UserMessageParam { Content = "Say hello" }],
        }))
        {
            if (ev.TryPickStart(out var start))
            {
                sawStart = start.Message.Usage.InputTokens > 0;
            }
            else if (ev.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var textDelta))
            {
                text.Append(textDelta.Text);
            }
            else if (ev.TryPickDelta(out var messageDelta))
            {
                output = messageDelta.Usage.OutputTokens;
            }
        }
        Assert.True(sawStart);
        Assert.Equal(Upstream.Options.ReplyText, text.ToString());
        Assert.True(output > 0);
    }

    [Fact]
    public async Task Tool_use_round_trip()
    {
        var tool = new Tool
        {
            Name = "get_weather",
            Description = "Get the weather for a city",
            InputSchema = new InputSchema
            {
                Properties = new Dictionary<string, JsonElement> { ["city"] = JsonSerializer.SerializeToElement(new { type = "string" }) },
                Required = ["city"],
            },
        };
        var history = new List<MessageParam> { new UserMessageParam { Content = "Use the tool to get the weather in Paris" } };
        var request = new MessageCreateParams { Model = "claude-sonnet-4-5", MaxTokens = 256, Tools = [tool], Messages = history };
        var client = Client();

        var first = await client.Messages.Create(request);
        Assert.Equal("tool_use", first.StopReason?.Raw());
        var use = first.Content.Select(b => b.TryPickToolUse(out var tu) ? tu : null).Single(tu => tu is not null)!;
        Assert.Equal("get_weather", use.Name);

        history.Add(new AssistantMessageParam { Content = new List<ContentBlockParam> { new ToolUseBlockParam { ID = use.ID, Name = use.Name, Input = use.Input } } });
        history.Add(new UserMessageParam { Content = new List<ContentBlockParam> { new ToolResultBlockParam(use.ID) { Content = "18C and sunny" } } });
        var final = await client.Messages.Create(request with { Messages = history });
        Assert.Equal("end_turn", final.StopReason?.Raw());

        var sent = Json.Parse(System.Text.Encoding.UTF8.GetString(Upstream.Received.Last().Body));
        var blocks = sent.GetProperty("messages")[2].GetProperty("content");
        Assert.Equal("tool_result", blocks[0].GetProperty("type").GetString());
        Assert.Equal(use.ID, blocks[0].GetProperty("tool_use_id").GetString());
    }

    [Fact]
    public async Task Errors_surface_as_the_sdk_exceptions_with_type_and_message()
    {
        var client = Client();
        var request = new MessageCreateParams { Model = "claude-sonnet-4-5", MaxTokens = 64, Messages = [new UserMessageParam { Content = "hi" }] };

        Upstream.Faults.Enqueue("429", 1);
        var limited = await Assert.ThrowsAsync<AnthropicRateLimitException>(() => client.Messages.Create(request));
        Assert.Equal("rate_limit_error", limited.Type?.Raw());
        Assert.False(string.IsNullOrEmpty(limited.RequestID));

        // The gateway's own error (an over-size body) parses the same way.
        await using var small = await FrontHost.StartAsync(Upstream.BaseAddress, new Dictionary<string, string?> { ["Gateway:MaxRequestBodyBytes"] = "2048" });
        var tooBig = new AnthropicClient { BaseUrl = small.BaseAddress.ToString(), ApiKey = "k", MaxRetries = 0 };
        var error = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => tooBig.Messages.Create(
            request with { Messages = [new UserMessageParam { Content = new string('x', 4096) }] }));
        Assert.Equal(413, (int)error.StatusCode);
        Assert.Equal("request_too_large", error.Type?.Raw());
        Assert.StartsWith("req_gw_", error.RequestID);
    }
}
