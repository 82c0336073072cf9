using System.Text;
using Gateway.FakeUpstream;
using Gateway.Tests.Clouds;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;

namespace Gateway.Tests.Clients;

/// <summary>
/// Claude Code in its Vertex mode (<c>CLAUDE_CODE_USE_VERTEX=1</c>, <c>ANTHROPIC_VERTEX_BASE_URL</c> at the gateway's
/// <c>/v1</c>, <c>CLAUDE_CODE_SKIP_VERTEX_AUTH=1</c>, the virtual key as <c>ANTHROPIC_AUTH_TOKEN</c>) through the gateway,
/// with a tool turn and streaming, to a model routed to an Anthropic provider and to one routed to Vertex AI.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ClaudeCodeVertexTests
{
    [Theory]
    [InlineData("anthropic")]
    [InlineData("vertex")]
    public async Task Claude_code_in_Vertex_mode_runs_a_tool_turn_through_the_gateway(string routedTo)
    {
        var reply = new FakeUpstreamOptions { ReplyText = "PONG", EventDelayMs = 2 };
        await using var vertex = await VertexFixture.StartAsync(reply);
        await using var anthropic = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ReplyText = "PONG", EventDelayMs = 2 });
        await using var front = await RoutingHost.StartWithKeysAsync(
            RoutingHost.Provider(0, "anthropic", anthropic.BaseAddress, ("a1", "sk-upstream-a")),
            vertex.Provider(1),
            new Dictionary<string, string?>
            {
                ["Routing:Rules:0:Match"] = "claude-*",
                ["Routing:Rules:0:Provider"] = routedTo,
            });
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin, limits: new { requests_per_minute = 100, daily_budget_usd = 5 });

        var result = await ClaudeCodeCli.RunAsync(front.BaseAddress, new Dictionary<string, string>
        {
            ["CLAUDE_CODE_USE_VERTEX"] = "1",
            ["CLAUDE_CODE_SKIP_VERTEX_AUTH"] = "1",
            ["ANTHROPIC_VERTEX_BASE_URL"] = new Uri(front.BaseAddress, "v1").ToString(),
            ["ANTHROPIC_VERTEX_PROJECT_ID"] = "developer-project",
            ["CLOUD_ML_REGION"] = "us-east5",
            ["ANTHROPIC_AUTH_TOKEN"] = key.Secret,
            ["ANTHROPIC_MODEL"] = "claude-sonnet-4-5@20250929",
        }, "-p", "Use a tool, then reply with the word PONG", "--output-format", "json");

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\nstdout: {result.StdOut}\nstderr: {result.StdErr}");
        var output = Json.Parse(result.StdOut);
        Assert.False(output.GetProperty("is_error").GetBoolean(), result.StdOut);
        Assert.Equal("PONG", output.GetProperty("result").GetString());

        var turns = routedTo == "anthropic"
            ? anthropic.Received.Where(r => r.Method == "POST" && r.PathAndQuery == "/v1/messages").ToArray()
            : vertex.Fake.Received.Where(r => r.PathAndQuery.EndsWith(":streamRawPredict", StringComparison.Ordinal)).ToArray();
        Assert.True(turns.Length >= 2, $"{turns.Length} turn(s) reached the {routedTo} upstream");
        var first = Json.Parse(Encoding.UTF8.GetString(turns[0].Body));
        Assert.True(first.GetProperty("stream").GetBoolean());
        Assert.True(first.GetProperty("tools").GetArrayLength() >= 5);
        Assert.Contains(turns.Skip(1), t => Encoding.UTF8.GetString(t.Body).Contains("\"tool_result\"", StringComparison.Ordinal));
        Assert.All(turns, t => Assert.DoesNotContain(t.Headers.Values, v => v.Contains(key.Secret, StringComparison.Ordinal)));
        if (routedTo == "anthropic")
        {
            Assert.Equal("claude-sonnet-4-5", first.GetProperty("model").GetString());
            Assert.Equal("sk-upstream-a", RoutingHost.KeyOf(turns[0]));
        }
        else
        {
            Assert.Equal(VertexFixture.PredictPath("claude-sonnet-4-5@20250929", "streamRawPredict"), turns[0].PathAndQuery);
            Assert.StartsWith("Bearer ya29.fake-", turns[0].Headers["Authorization"]);
        }
    }
}
