using System.Text;
using Gateway.Front.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Clients;

/// <summary>Claude Code itself, with ANTHROPIC_BASE_URL pointing at the gateway, gets its answer.</summary>
public sealed class ClaudeCodeTests : IAsyncLifetime
{
    private FakeUpstreamServer _upstream = null!;
    private FrontHost _front = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ReplyText = "PONG", EventDelayMs = 5 });
        _front = await FrontHost.StartAsync(_upstream.BaseAddress);
    }

    public async Task DisposeAsync()
    {
        await _front.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Theory]
    [InlineData("ANTHROPIC_API_KEY")]
    [InlineData("ANTHROPIC_AUTH_TOKEN")]
    public async Task Claude_code_print_mode_answers_through_the_gateway(string credentialVariable)
    {
        var result = await ClaudeCodeCli.RunAsync(_front.BaseAddress,
            new Dictionary<string, string> { [credentialVariable] = "sk-claude-code-client" },
            "-p", "Reply with the word PONG", "--output-format", "json");

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\nstdout: {result.StdOut}\nstderr: {result.StdErr}");
        var output = Json.Parse(result.StdOut);
        Assert.False(output.GetProperty("is_error").GetBoolean(), result.StdOut);
        Assert.Equal("PONG", output.GetProperty("result").GetString());

        var turn = Assert.Single(_upstream.Received, r => r.Method == "POST" && r.PathAndQuery == "/v1/messages?beta=true");
        Assert.Equal("sk-upstream-test", turn.Headers["x-api-key"]);
        Assert.False(turn.Headers.ContainsKey("authorization"));
        Assert.DoesNotContain(turn.Headers.Values, v => v.Contains("sk-claude-code-client"));
        Assert.StartsWith("claude-cli/", turn.Headers["User-Agent"]);
        Assert.Equal("cli", turn.Headers["x-app"]);
        Assert.Contains("claude-code-20250219", turn.Headers["anthropic-beta"]);
        Assert.Equal("js", turn.Headers["X-Stainless-Lang"]);

        // The body arrives intact: Claude Code's own fields, cache breakpoints and session id.
        var body = Json.Parse(Encoding.UTF8.GetString(turn.Body));
        Assert.True(body.GetProperty("stream").GetBoolean());
        Assert.True(body.GetProperty("tools").GetArrayLength() >= 5);
        Assert.True(body.TryGetProperty("thinking", out _));
        Assert.Equal(3, Encoding.UTF8.GetString(turn.Body).Split("\"cache_control\"").Length - 1);
        var userId = Json.Parse(body.GetProperty("metadata").GetProperty("user_id").GetString()!);
        Assert.Equal(turn.Headers["X-Claude-Code-Session-Id"], userId.GetProperty("session_id").GetString());
    }
}
