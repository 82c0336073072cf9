using System.Text;
using Gateway.FakeUpstream;
using Gateway.Grains.Abstractions;
using Gateway.Tests.Bedrock;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Clients;

/// <summary>
/// Claude Code itself against a gateway whose Sonnet route goes to Amazon Bedrock (the fake Bedrock, SigV4
/// checked): once speaking Anthropic's format (<c>ANTHROPIC_BASE_URL</c>), once Bedrock's
/// (<c>CLAUDE_CODE_USE_BEDROCK=1</c>, <c>ANTHROPIC_BEDROCK_BASE_URL</c>, <c>CLAUDE_CODE_SKIP_BEDROCK_AUTH=1</c>, the
/// virtual key as its bearer token). Each run streams a tool turn (the fake calls a tool when the prompt names
/// one) and a final answer, metered on the key and the session.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ClaudeCodeBedrockTests : IAsyncLifetime
{
    private FakeUpstreamServer _upstream = null!;
    private FrontHost _front = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ReplyText = "PONG", EventDelayMs = 5 });
        _front = await RoutingHost.StartWithKeysAsync(BedrockHost.Providers(_upstream.BaseAddress, "claude-sonnet-*"));
    }

    public async Task DisposeAsync()
    {
        await _front.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Anthropic_format_with_a_bedrock_routed_model_runs_a_tool_turn()
    {
        var key = await CreateKeyAsync();
        var result = await ClaudeCodeCli.RunAsync(_front.BaseAddress,
            new Dictionary<string, string> { ["ANTHROPIC_AUTH_TOKEN"] = key.Secret },
            "-p", "Use a tool, then reply with the word PONG", "--model", "claude-sonnet-4-5", "--output-format", "json");

        await AssertToolTurnAsync(result, key);
    }

    [Theory]
    [InlineData("ANTHROPIC_AUTH_TOKEN")]
    [InlineData("AWS_BEARER_TOKEN_BEDROCK")]
    public async Task Bedrock_format_runs_a_tool_turn_on_the_virtual_key(string credentialVariable)
    {
        var key = await CreateKeyAsync();
        var result = await ClaudeCodeCli.RunAsync(_front.BaseAddress,
            new Dictionary<string, string>
            {
                ["CLAUDE_CODE_USE_BEDROCK"] = "1",
                ["ANTHROPIC_BEDROCK_BASE_URL"] = _front.BaseAddress.ToString().TrimEnd('/'),
                ["CLAUDE_CODE_SKIP_BEDROCK_AUTH"] = "1",
                ["AWS_REGION"] = BedrockHost.Region,
                ["ANTHROPIC_MODEL"] = BedrockHost.SonnetId,
                ["ANTHROPIC_SMALL_FAST_MODEL"] = BedrockHost.SonnetId,
                [credentialVariable] = key.Secret,
            },
            "-p", "Use a tool, then reply with the word PONG", "--output-format", "json");

        await AssertToolTurnAsync(result, key);
    }

    private async Task<GatewayKeys.CreatedKey> CreateKeyAsync()
    {
        using var admin = _front.CreateAdminClient();
        return await GatewayKeys.CreateAsync(admin, limits: new { requests_per_minute = 100, daily_budget_usd = 5 });
    }

    private async Task AssertToolTurnAsync(ClaudeCodeCli.Result result, GatewayKeys.CreatedKey key)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\nstdout: {result.StdOut}\nstderr: {result.StdErr}");
        var output = Json.Parse(result.StdOut);
        Assert.False(output.GetProperty("is_error").GetBoolean(), result.StdOut);
        Assert.Equal("PONG", output.GetProperty("result").GetString());

        // Two streamed turns reached Bedrock, signed: the tool call, then the answer after the tool's result.
        var turns = _upstream.Received.Where(r => r.PathAndQuery.EndsWith("/invoke-with-response-stream", StringComparison.Ordinal)
            && Encoding.UTF8.GetString(r.Body).Contains("\"tools\"", StringComparison.Ordinal)).ToList();
        Assert.True(turns.Count >= 2, $"{turns.Count} streamed turns: " + string.Join(", ", _upstream.Received.Select(r => r.PathAndQuery)));
        Assert.All(turns, t => Assert.StartsWith("AWS4-HMAC-SHA256 ", t.Headers["Authorization"]));
        Assert.DoesNotContain(_upstream.Received, r => r.Headers.Values.Any(v => v.Contains(key.Secret, StringComparison.Ordinal)));
        var last = Json.Parse(Encoding.UTF8.GetString(turns[^1].Body));
        Assert.Equal("bedrock-2023-05-31", last.GetProperty("anthropic_version").GetString());
        Assert.Contains("claude-code-20250219", last.GetProperty("anthropic_beta").EnumerateArray().Select(b => b.GetString()));
        Assert.Contains("tool_result", Encoding.UTF8.GetString(turns[^1].Body));

        // Metered like any Claude Code turn: the key's spend and the session's counts.
        var grains = _front.Services.GetRequiredService<IGrainFactory>();
        var sessionId = turns[^1].Headers["X-Claude-Code-Session-Id"];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        SessionUsageView session;
        while ((session = await grains.GetGrain<ISessionGrain>(sessionId).GetUsageAsync()).Requests < 2)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "session usage never settled");
            await Task.Delay(25);
        }
        Assert.Equal(key.KeyId, session.KeyId);
        Assert.True(session.OutputTokens > 0);
        Assert.True((await grains.GetGrain<IApiKeyGrain>(key.KeyId).GetUsageAsync()).SpentTodayUsd > 0);
    }
}
