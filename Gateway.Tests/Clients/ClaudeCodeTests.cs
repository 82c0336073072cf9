using System.Text;
using Gateway.FakeUpstream;
using Gateway.Grains.Abstractions;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Clients;

/// <summary>Claude Code itself, with ANTHROPIC_BASE_URL pointing at the gateway, gets its answer.</summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ClaudeCodeTests : GatewayTestBase
{
    protected override FakeUpstreamOptions UpstreamOptions => new FakeUpstreamOptions { ReplyText = "PONG", EventDelayMs = 5 };

    protected override bool WithKeys => true;

    [Theory]
    [InlineData("ANTHROPIC_API_KEY")]
    [InlineData("ANTHROPIC_AUTH_TOKEN")]
    public async Task Claude_code_print_mode_answers_through_the_gateway(string credentialVariable)
    {
        using var admin = Front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin, limits: new { requests_per_minute = 100, daily_budget_usd = 5 });
        var result = await ClaudeCodeCli.RunAsync(Front.BaseAddress,
            new Dictionary<string, string> { [credentialVariable] = key.Secret },
            "-p", "Reply with the word PONG", "--output-format", "json");

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\nstdout: {result.StdOut}\nstderr: {result.StdErr}");
        var output = Json.Parse(result.StdOut);
        Assert.False(output.GetProperty("is_error").GetBoolean(), result.StdOut);
        Assert.Equal("PONG", output.GetProperty("result").GetString());

        var turn = Assert.Single(Upstream.Received, r => r.Method == "POST" && r.PathAndQuery == "/v1/messages?beta=true");
        Assert.Equal("sk-upstream-test", turn.Headers["x-api-key"]);
        Assert.False(turn.Headers.ContainsKey("authorization"));
        Assert.DoesNotContain(turn.Headers.Values, v => v.Contains(key.Secret));
        Assert.StartsWith("claude-cli/", turn.Headers["User-Agent"]);
        Assert.Equal("cli", turn.Headers["x-app"]);
        Assert.Contains("claude-code-20250219", turn.Headers["anthropic-beta"]);
        Assert.Equal("js", turn.Headers["X-Stainless-Lang"]);

        // The body arrives intact: Claude Code's own fields, cache breakpoints and session id.
        var body = Json.Parse(Encoding.UTF8.GetString(turn.Body));
        Assert.True(body.GetProperty("stream").GetBoolean());
        Assert.True(body.GetProperty("tools").GetArrayLength() >= 5);
        Assert.True(body.TryGetProperty("thinking", out _));
        // Claude Code's own 3 breakpoints, plus the one the gateway adds on the tools: never more than 4.
        Assert.Equal(4, Encoding.UTF8.GetString(turn.Body).Split("\"cache_control\"").Length - 1);
        var userId = Json.Parse(body.GetProperty("metadata").GetProperty("user_id").GetString()!);
        Assert.Equal(turn.Headers["X-Claude-Code-Session-Id"], userId.GetProperty("session_id").GetString());

        // The request was admitted on the team's key and its usage settled on the key and the session.
        var grains = Front.Services.GetRequiredService<IGrainFactory>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        SessionUsageView session;
        while ((session = await grains.GetGrain<ISessionGrain>(turn.Headers["X-Claude-Code-Session-Id"]).GetUsageAsync()).Requests < 1)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "session usage never settled");
            await Task.Delay(25);
        }
        Assert.Equal(key.KeyId, session.KeyId);
        Assert.True(session.OutputTokens > 0);
        Assert.True((await grains.GetGrain<IApiKeyGrain>(key.KeyId).GetUsageAsync()).SpentTodayUsd > 0);
    }
}
