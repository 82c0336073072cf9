using System.Text;
using Gateway.FakeUpstream;
using Gateway.Grains.Abstractions;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.OpenAi.Provider;

/// <summary>
/// Claude Code itself (<c>claude -p</c>), pointed at the gateway, gets its answer from an
/// OpenAI-compatible provider: its 50 KB streaming request with a dozen tools, system blocks and
/// thinking is translated, and the Chat stream comes back as Messages events it accepts.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ClaudeCodeOpenAiProviderTests : IAsyncLifetime
{
    private FakeUpstreamServer _upstream = null!;
    private FrontHost _front = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ReplyText = "PONG", EventDelayMs = 5 });
        _front = await RoutingHost.StartWithKeysAsync(OpenAiProviderHost.Providers(_upstream.BaseAddress, "*"));
    }

    public async Task DisposeAsync()
    {
        await _front.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Claude_code_print_mode_answers_through_an_openai_compatible_provider()
    {
        using var admin = _front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin, limits: new { requests_per_minute = 100, daily_budget_usd = 5 });
        var result = await ClaudeCodeCli.RunAsync(_front.BaseAddress,
            new Dictionary<string, string> { ["ANTHROPIC_AUTH_TOKEN"] = key.Secret },
            "-p", "Reply with the word PONG", "--output-format", "json");

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\nstdout: {result.StdOut}\nstderr: {result.StdErr}");
        var output = Json.Parse(result.StdOut);
        Assert.False(output.GetProperty("is_error").GetBoolean(), result.StdOut);
        Assert.Equal("PONG", output.GetProperty("result").GetString());

        var turn = Assert.Single(_upstream.Received, r => r.Method == "POST" && r.PathAndQuery == "/v1/chat/completions");
        Assert.DoesNotContain(_upstream.Received, r => r.PathAndQuery.StartsWith("/v1/messages"));
        Assert.Equal("Bearer " + OpenAiProviderHost.OpenAiKey, turn.Headers["Authorization"]);
        Assert.DoesNotContain(turn.Headers.Keys, h => h.StartsWith("anthropic-", StringComparison.OrdinalIgnoreCase));
        var body = Json.Parse(Encoding.UTF8.GetString(turn.Body));
        Assert.True(body.GetProperty("stream").GetBoolean());
        Assert.True(body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.True(body.GetProperty("tools").GetArrayLength() >= 5);
        Assert.All(body.GetProperty("tools").EnumerateArray(), t => Assert.Equal("function", t.GetProperty("type").GetString()));
        Assert.Equal("system", body.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.False(body.TryGetProperty("thinking", out _));
        Assert.DoesNotContain("cache_control", Encoding.UTF8.GetString(turn.Body));
        Assert.Contains("session_id", body.GetProperty("user").GetString());

        // Settled on the key and the session as any Claude Code turn is.
        var grains = _front.Services.GetRequiredService<IGrainFactory>();
        var sessionId = turn.Headers["X-Claude-Code-Session-Id"];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        SessionUsageView session;
        while ((session = await grains.GetGrain<ISessionGrain>(sessionId).GetUsageAsync()).Requests < 1)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "session usage never settled");
            await Task.Delay(25);
        }
        Assert.Equal(key.KeyId, session.KeyId);
        Assert.True(session.InputTokens > 1000, session.InputTokens.ToString());
        Assert.True(session.OutputTokens > 0);
        Assert.True((await grains.GetGrain<IApiKeyGrain>(key.KeyId).GetUsageAsync()).SpentTodayUsd > 0);
    }
}
