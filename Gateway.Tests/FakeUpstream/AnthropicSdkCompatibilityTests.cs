using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Gateway.FakeUpstream;

namespace Gateway.Tests.FakeUpstream;

/// <summary>
/// The official SDK talks to the fake directly: if its parser accepts our bytes, the fake's wire
/// format is faithful enough that gateway tests built on it mean something.
/// </summary>
public sealed class AnthropicSdkCompatibilityTests
{
    private static AnthropicClient Client(FakeUpstreamServer server) => new()
    {
        BaseUrl = server.BaseAddress.ToString().TrimEnd('/'),
        ApiKey = "sk-sdk",
        MaxRetries = 0,
        Timeout = TimeSpan.FromSeconds(10),
    };

    private static MessageCreateParams Request(string text = "Say hello") => new()
    {
        Model = "claude-sonnet-4-5",
        MaxTokens = 256,
        Messages = [new UserMessageParam { Content = text }],
    };

    [Fact]
    public async Task Sdk_parses_a_non_streaming_reply()
    {
        await using var server = await FakeUpstreamServer.StartAsync();

        var message = await Client(server).Messages.Create(Request());

        Assert.Equal(server.Options.ReplyText, string.Concat(message.Content.Select(b => b.TryPickText(out var t) ? t.Text : "")));
        Assert.Equal("end_turn", message.StopReason?.Raw());
        Assert.True(message.Usage.InputTokens > 0);
        Assert.Equal(12, message.Usage.OutputTokens);
        Assert.Equal("csharp", server.Received.Single().Headers["x-stainless-lang"]);
    }

    [Fact]
    public async Task Sdk_parses_a_streaming_reply()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        var text = new System.Text.StringBuilder();
        long inputTokens = 0, outputTokens = 0;

        await foreach (var ev in Client(server).Messages.CreateStreaming(Request()))
        {
            if (ev.TryPickStart(out var start))
            {
                inputTokens = start.Message.Usage.InputTokens;
            }
            else if (ev.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var t))
            {
                text.Append(t.Text);
            }
            else if (ev.TryPickDelta(out var messageDelta))
            {
                outputTokens = messageDelta.Usage.OutputTokens;
            }
        }

        Assert.Equal(server.Options.ReplyText, text.ToString());
        Assert.True(inputTokens > 0);
        Assert.Equal(12, outputTokens);
    }

    [Fact]
    public async Task Sdk_sees_a_tool_call()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        var request = Request("Use the tool for Paris") with
        {
            Tools = [new Tool { Name = "get_weather", InputSchema = new InputSchema() }],
        };

        var message = await Client(server).Messages.Create(request);

        Assert.Equal("tool_use", message.StopReason?.Raw());
        Assert.Contains(message.Content, b => b.TryPickToolUse(out var use) && use.Name == "get_weather");
    }

    [Fact]
    public async Task Sdk_maps_fault_errors_to_its_exceptions()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        var client = Client(server);

        server.Faults.Enqueue("429");
        var limited = await Assert.ThrowsAsync<AnthropicRateLimitException>(() => client.Messages.Create(Request()));
        Assert.StartsWith("req_", limited.RequestID);

        server.Faults.Enqueue("529");
        var overloaded = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => client.Messages.Create(Request()));
        Assert.Equal(529, (int)overloaded.StatusCode);
    }
}
