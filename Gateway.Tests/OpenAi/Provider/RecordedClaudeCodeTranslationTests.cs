using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;

namespace Gateway.Tests.OpenAi.Provider;

/// <summary>
/// Request bodies recorded from Claude Code, sent to an OpenAI-compatible provider: the strict fake
/// accepts every translation (tool results answering their tool calls, function tools only, no
/// Anthropic fields) and the client gets a complete Anthropic stream back.
/// </summary>
public sealed class RecordedClaudeCodeTranslationTests : IAsyncLifetime
{
    private FakeUpstreamServer _upstream = null!;
    private FrontHost _front = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync();
        _front = await RoutingHost.StartPassThroughAsync(OpenAiProviderHost.Providers(_upstream.BaseAddress, "*"));
    }

    public async Task DisposeAsync()
    {
        await _front.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Theory]
    [InlineData("messages-main-turn.json")]
    [InlineData("messages-main-turn-sonnet-4-5.json")]
    [InlineData("messages-after-tool.json")]
    [InlineData("messages-side-request.json")]
    public async Task A_recorded_claude_code_request_is_accepted_by_a_strict_openai_server(string bodyFile)
    {
        var body = await File.ReadAllBytesAsync(RepoPaths.Fixture("claude-code", bodyFile));
        var original = JsonDocument.Parse(body).RootElement;
        using var client = _front.CreateClient();
        using var response = await client.PostAsync("v1/messages?beta=true", new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } });

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Contains(original.TryGetProperty("stream", out var s) && s.GetBoolean() ? "event: message_stop" : "\"type\":\"message\"", text);

        var sent = Assert.Single(_upstream.Received);
        Assert.Equal("/v1/chat/completions", sent.PathAndQuery);
        var chat = JsonDocument.Parse(sent.Body).RootElement;
        Assert.Equal(original.GetProperty("model").GetString(), chat.GetProperty("model").GetString());
        var customTools = original.TryGetProperty("tools", out var tools)
            ? tools.EnumerateArray().Count(t => !t.TryGetProperty("type", out var type) || type.GetString() == "custom") : 0;
        Assert.Equal(customTools, chat.TryGetProperty("tools", out var chatTools) ? chatTools.GetArrayLength() : 0);
        var toolUseIds = original.GetProperty("messages").EnumerateArray()
            .Where(m => m.GetProperty("content").ValueKind == JsonValueKind.Array)
            .SelectMany(m => m.GetProperty("content").EnumerateArray())
            .Where(b => b.GetProperty("type").GetString() == "tool_use").Select(b => b.GetProperty("id").GetString()).ToList();
        var answered = chat.GetProperty("messages").EnumerateArray()
            .Where(m => m.GetProperty("role").GetString() == "tool").Select(m => m.GetProperty("tool_call_id").GetString()).ToList();
        Assert.Equal(toolUseIds, answered);
        Assert.DoesNotContain("cache_control", Encoding.UTF8.GetString(sent.Body));
    }
}
