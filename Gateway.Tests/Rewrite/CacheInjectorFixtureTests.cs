using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Front.Buffers;
using Gateway.Front.Rewrite;
using static Gateway.Tests.Rewrite.RewriteKit;

namespace Gateway.Tests.Rewrite;

/// <summary>Golden tests on the request bodies Claude Code really sent (see Fixtures/claude-code/README.md).</summary>
public sealed class CacheInjectorFixtureTests
{
    public static IEnumerable<object[]> Fixtures() => FixtureNames();

    private static string Model(byte[] body) => JsonDocument.Parse(body).RootElement.GetProperty("model").GetString()!;

    /// <summary>The production options: real minimum lengths.</summary>
    private static Outcome RunReal(byte[] body, CachePolicy? policy = null) => Run(body, policy, new CacheInjectionOptions(), Model(body));

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Claude_code_bodies_keep_their_three_breakpoints_and_get_the_fourth_on_the_tools_or_are_left_alone(string name)
    {
        var body = Fixture(name);
        var o = RunReal(body);

        if (name.EndsWith("side-request.json", StringComparison.Ordinal))
        {
            // No tools, a ~330-token system prompt (below opus-4-8's 1024) and a single turn: nothing helps.
            Assert.False(o.Rewritten);
            Assert.Equal(InjectionOutcome.NothingToAdd, o.Result.Outcome);
            Assert.Equal(0, o.Result.BreakpointsBefore);
            return;
        }

        Assert.True(o.Rewritten, o.Result.ToString());
        Assert.Equal(3, o.Result.BreakpointsBefore);
        Assert.Equal(4, o.Result.BreakpointsAfter);
        Assert.Equal(BreakpointSpots.Tools, o.Result.Added);
        Assert.Equal(1, MarkerDiff.InsertedRuns(body, o.Output));

        // Structurally: only the last tool changed, and only by its new cache_control.
        var before = JsonNode.Parse(body)!.AsObject();
        var after = JsonNode.Parse(o.Output)!.AsObject();
        var lastTool = after["tools"]!.AsArray()[^1]!.AsObject();
        Assert.Equal("""{"type":"ephemeral"}""", lastTool["cache_control"]!.ToJsonString());
        lastTool.Remove("cache_control");
        Assert.True(JsonNode.DeepEquals(before, after));
        // Key order survives too (Claude Code sends messages, system, tools, ...).
        Assert.Equal(before.Select(p => p.Key), after.Select(p => p.Key));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void One_hour_policy_goes_on_the_tools_which_come_before_the_clients_5m_breakpoints_in_prompt_order(string name)
    {
        var o = RunReal(Fixture(name), CachePolicy.OneHour);
        if (name.EndsWith("side-request.json", StringComparison.Ordinal))
        {
            // As with the default policy: no tools, a system prompt below the minimum, one turn.
            Assert.False(o.Rewritten);
            Assert.Equal(InjectionOutcome.NothingToAdd, o.Result.Outcome);
            return;
        }
        Assert.True(o.Rewritten, o.Result.ToString());
        Assert.Equal(3, o.Result.BreakpointsBefore);
        Assert.Equal(4, o.Result.BreakpointsAfter);
        // In the body the tools come last, but Anthropic assembles tools → system → messages: 1h first is legal.
        Assert.Equal(BreakpointSpots.Tools, o.Result.Added);
        Assert.Contains("\"ttl\":\"1h\"}}]", o.Text); // the last tool's marker closes the tools array
        Assert.Equal(["1h", "5m", "5m", "5m"], BreakpointAudit.Ttls(o.Output));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Without_the_clients_markers_a_multi_turn_body_gets_tools_system_and_the_latest_user_turn(string name)
    {
        // The same body as an SDK or agent that sets no cache_control would send it.
        var node = JsonNode.Parse(Fixture(name))!;
        Strip(node);
        var body = System.Text.Encoding.UTF8.GetBytes(node.ToJsonString());
        var o = RunReal(body);

        var messages = node["messages"]!.AsArray();
        var multiTurn = messages.Any(m => (string?)m!["role"] == "assistant");
        var hasTools = node["tools"] is JsonArray { Count: > 0 };
        if (!hasTools && !multiTurn)
        {
            Assert.False(o.Rewritten); // the side request: short system, single turn
            return;
        }
        var expected = BreakpointSpots.Tools | BreakpointSpots.System | (multiTurn ? BreakpointSpots.LatestUserTurn : 0);
        Assert.Equal(expected, o.Result.Added);
        Assert.Equal(0, o.Result.BreakpointsBefore);
        Assert.Equal(System.Numerics.BitOperations.PopCount((uint)expected), o.Result.BreakpointsAfter);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Client_header_off_and_key_switch_off_leave_every_body_alone(string name)
    {
        var options = new CacheInjectionOptions();
        Assert.False(RunReal(Fixture(name), CachePolicy.Resolve(options, headerValue: "off")).Rewritten);
        Assert.False(RunReal(Fixture(name), CachePolicy.Resolve(options, keyEnabled: false)).Rewritten);
        Assert.Equal(InjectionOutcome.Disabled, RunReal(Fixture(name), CachePolicy.Disabled).Result.Outcome);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void The_token_copy_writer_variant_produces_the_same_bytes_on_these_compact_bodies(string name)
    {
        var body = Fixture(name);
        var injector = new CacheInjector(NoMinimum());
        foreach (var policy in new[] { CachePolicy.Default, CachePolicy.OneHour })
        {
            var plan = injector.Plan(body, Model(body), policy);
            if (plan.Outcome != InjectionOutcome.Rewritten)
            {
                continue;
            }
            using var splice = new PooledBufferWriter();
            using var tokens = new PooledBufferWriter();
            MarkerSplicer.Write(body, plan, splice);
            TokenCopyRewriter.Write(body, plan, tokens);
            Assert.True(splice.WrittenSpan.SequenceEqual(tokens.WrittenSpan));
        }
    }

    internal static void Strip(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                o.Remove("cache_control");
                foreach (var (_, child) in o.ToList())
                {
                    Strip(child);
                }
                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    Strip(child);
                }
                break;
        }
    }
}
