using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Front.Rewrite;
using static Gateway.Tests.Rewrite.RewriteKit;

namespace Gateway.Tests.Rewrite;

/// <summary>Hand-written request shapes: the SDKs', and the corners of the rules.</summary>
public sealed class CacheInjectorShapeTests
{
    private const string Tools = """[{"name":"get_weather","description":"Weather for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}},{"name":"search","description":"Web search","input_schema":{"type":"object"}}]""";

    private const string MultiTurn = """[{"role":"user","content":"What is the weather in Paris?"},{"role":"assistant","content":"Let me check."},{"role":"user","content":"And in Lyon?"}]""";

    private static string Body(string? system = null, string? tools = null, string messages = MultiTurn, string extra = "") =>
        "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1024" +
        (tools is null ? "" : ",\"tools\":" + tools) +
        (system is null ? "" : ",\"system\":" + system) +
        ",\"messages\":" + messages + extra + "}";

    private static JsonNode Json(Outcome o) => JsonNode.Parse(o.Forwarded)!;

    [Fact]
    public void Sdk_shape_with_a_string_system_and_string_contents_gets_all_three_and_strings_become_blocks()
    {
        var o = Run(Body("\"You are a weather bot. \\u00e9t\\u00e9 \\\"quoted\\\"\"", Tools));

        Assert.True(o.Rewritten);
        Assert.Equal(BreakpointSpots.Tools | BreakpointSpots.System | BreakpointSpots.LatestUserTurn, o.Result.Added);
        Assert.Equal((0, 3), (o.Result.BreakpointsBefore, o.Result.BreakpointsAfter));
        Assert.Equal(5, MarkerDiff.InsertedRuns(o.Input, o.Output)); // tools 1, system 2 (wrap), user turn 2 (wrap)

        var json = Json(o);
        Assert.Equal("""[{"type":"text","text":"You are a weather bot. \u00e9t\u00e9 \"quoted\"","cache_control":{"type":"ephemeral"}}]""",
            Encoding.UTF8.GetString(o.Output).Split(",\"system\":")[1].Split(",\"messages\":")[0]); // escapes kept as sent
        Assert.Equal("""[{"type":"text","text":"And in Lyon?","cache_control":{"type":"ephemeral"}}]""", json["messages"]![2]!["content"]!.ToJsonString());
        Assert.Equal("What is the weather in Paris?", (string?)json["messages"]![0]!["content"]); // earlier turns untouched
        Assert.NotNull(json["tools"]![1]!["cache_control"]);
        Assert.Null(json["tools"]![0]!["cache_control"]);
    }

    [Fact]
    public void Block_system_without_tools_in_a_single_turn_gets_only_the_system_breakpoint()
    {
        var o = Run(Body("""[{"type":"text","text":"Part one."},{"type":"text","text":"Part two."}]""", messages: """[{"role":"user","content":"Hi"}]"""));

        Assert.Equal(BreakpointSpots.System, o.Result.Added);
        Assert.EndsWith("""{"type":"text","text":"Part two.","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Hi"}]}""", o.Text);
    }

    [Fact]
    public void No_tools_no_system_multi_turn_gets_the_rolling_breakpoint_only()
    {
        var o = Run(Body());
        Assert.Equal(BreakpointSpots.LatestUserTurn, o.Result.Added);
    }

    [Fact]
    public void The_rolling_breakpoint_goes_on_an_image_when_it_ends_the_user_turn()
    {
        const string messages = """[{"role":"user","content":"Describe"},{"role":"assistant","content":"Send it."},{"role":"user","content":[{"type":"text","text":"Here:"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]}]""";
        var o = Run(Body(messages: messages));

        Assert.Equal(BreakpointSpots.LatestUserTurn, o.Result.Added);
        var last = Json(o)["messages"]![2]!["content"]!.AsArray()[^1]!;
        Assert.Equal("image", (string?)last["type"]);
        Assert.NotNull(last["cache_control"]);
    }

    [Fact]
    public void Thinking_and_tool_use_pass_through_and_the_tool_result_turn_gets_the_marker()
    {
        const string messages = """
            [{"role":"user","content":"Weather in Paris?"},
             {"role":"assistant","content":[{"type":"thinking","thinking":"I should call the tool.","signature":"EqQBCkYIBxgCKkA+sig=="},{"type":"redacted_thinking","data":"EmwKAhgB"},{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"city":"Paris","cache_control":{"type":"ephemeral"}}}]},
             {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01","content":[{"type":"text","text":"18°C"}]}]}]
            """;
        var o = Run(Body(tools: Tools, messages: messages, extra: ""","thinking":{"type":"enabled","budget_tokens":2048}"""));

        // A tool's input may contain a field named cache_control: it is not a breakpoint.
        Assert.Equal(0, o.Result.BreakpointsBefore);
        Assert.Equal(BreakpointSpots.Tools | BreakpointSpots.LatestUserTurn, o.Result.Added);
        var turn = Json(o)["messages"]![2]!["content"]!.AsArray()[0]!;
        Assert.Equal("tool_result", (string?)turn["type"]);
        Assert.NotNull(turn["cache_control"]);
        Assert.Contains("\"signature\":\"EqQBCkYIBxgCKkA+sig==\"", o.Text);
    }

    [Fact]
    public void A_user_turn_ending_in_a_block_that_cannot_carry_a_marker_is_skipped()
    {
        const string emptyText = """[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":[{"type":"text","text":""}]}]""";
        const string unknownType = """[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":[{"type":"container_upload","file_id":"f"}]}]""";
        const string emptyString = """[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":""}]""";

        Assert.Equal(InjectionOutcome.NothingToAdd, Run(Body(messages: emptyText)).Result.Outcome);
        Assert.Equal(InjectionOutcome.NothingToAdd, Run(Body(messages: unknownType)).Result.Outcome);
        Assert.Equal(InjectionOutcome.NothingToAdd, Run(Body(messages: emptyString)).Result.Outcome);
    }

    [Fact]
    public void A_body_already_at_four_breakpoints_is_left_unchanged()
    {
        const string system = """[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}},{"type":"text","text":"b","cache_control":{"type":"ephemeral"}}]""";
        const string messages = """[{"role":"user","content":[{"type":"text","text":"x","cache_control":{"type":"ephemeral"}}]},{"role":"assistant","content":"y"},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"z","cache_control":{"type":"ephemeral"}}]}]}]""";
        var o = Run(Body(system, Tools, messages));

        Assert.False(o.Rewritten);
        Assert.Equal(InjectionOutcome.NoRoom, o.Result.Outcome);
        Assert.Equal(4, o.Result.BreakpointsBefore); // the one nested in tool_result content counts too
    }

    [Fact]
    public void A_client_already_over_the_limit_or_out_of_order_is_left_for_the_api_to_answer()
    {
        const string five = """[{"type":"text","text":"1","cache_control":{"type":"ephemeral"}},{"type":"text","text":"2","cache_control":{"type":"ephemeral"}},{"type":"text","text":"3","cache_control":{"type":"ephemeral"}},{"type":"text","text":"4","cache_control":{"type":"ephemeral"}},{"type":"text","text":"5","cache_control":{"type":"ephemeral"}}]""";
        const string outOfOrder = """[{"type":"text","text":"1","cache_control":{"type":"ephemeral"}},{"type":"text","text":"2","cache_control":{"type":"ephemeral","ttl":"1h"}}]""";

        var over = Run(Body(five, Tools));
        Assert.Equal((InjectionOutcome.ClientBreakpointsInvalid, 5), (over.Result.Outcome, over.Result.BreakpointsBefore));
        Assert.Equal(InjectionOutcome.ClientBreakpointsInvalid, Run(Body(outOfOrder, Tools)).Result.Outcome);
    }

    [Fact]
    public void With_a_clients_1h_system_breakpoint_a_5m_marker_may_only_go_after_it()
    {
        const string system = """[{"type":"text","text":"Stable","cache_control":{"type":"ephemeral","ttl":"1h"}}]""";
        var o = Run(Body(system, Tools));

        // Tools come before system in prompt order: a 5m there would precede the 1h one.
        Assert.Equal(BreakpointSpots.LatestUserTurn, o.Result.Added);
        Assert.Equal(["1h", "5m"], BreakpointAudit.Ttls(o.Output));
    }

    [Fact]
    public void With_a_one_hour_policy_and_a_clients_5m_system_breakpoint_1h_goes_only_before_it()
    {
        const string system = """[{"type":"text","text":"Stable","cache_control":{"type":"ephemeral"}}]""";
        var o = Run(Body(system, Tools), CachePolicy.OneHour);

        Assert.Equal(BreakpointSpots.Tools, o.Result.Added);
        Assert.Equal(["1h", "5m"], BreakpointAudit.Ttls(o.Output));
    }

    [Fact]
    public void One_hour_policy_on_a_clean_body_marks_all_three_with_ttl()
    {
        var o = Run(Body("\"sys\"", Tools), CachePolicy.OneHour);
        Assert.Equal(3, o.Result.AddedCount);
        Assert.Equal(["1h", "1h", "1h"], BreakpointAudit.Ttls(o.Output));
    }

    [Fact]
    public void A_top_level_automatic_cache_control_counts_toward_four_and_already_rolls_the_conversation()
    {
        const string automatic = ""","cache_control":{"type":"ephemeral"}""";
        var o = Run(Body("\"sys\"", Tools, extra: automatic));

        Assert.Equal(1, o.Result.BreakpointsBefore);
        Assert.Equal(BreakpointSpots.Tools | BreakpointSpots.System, o.Result.Added);

        const string system3 = """[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}},{"type":"text","text":"b","cache_control":{"type":"ephemeral"}},{"type":"text","text":"c","cache_control":{"type":"ephemeral"}}]""";
        var full = Run(Body(system3, Tools, extra: automatic));
        Assert.Equal((InjectionOutcome.NoRoom, 4), (full.Result.Outcome, full.Result.BreakpointsBefore));

        // An automatic 1h breakpoint sits on the last block: no 5m may come before it.
        var auto1h = Run(Body("\"sys\"", Tools, extra: ""","cache_control":{"type":"ephemeral","ttl":"1h"}"""));
        Assert.Equal(InjectionOutcome.NothingToAdd, auto1h.Result.Outcome);
        Assert.Equal(BreakpointSpots.Tools | BreakpointSpots.System, Run(Body("\"sys\"", Tools, extra: ""","cache_control":{"type":"ephemeral","ttl":"1h"}"""), CachePolicy.OneHour).Result.Added);
    }

    [Fact]
    public void The_client_keeping_its_own_rolling_breakpoint_later_in_the_conversation_is_enough()
    {
        // Claude Code 2.1.332: the marker is on a role:"system" message after the latest user message.
        const string messages = """[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"},{"role":"system","content":[{"type":"text","text":"env","cache_control":{"type":"ephemeral"}}]}]""";
        var o = Run(Body(tools: Tools, messages: messages));
        Assert.Equal(BreakpointSpots.Tools, o.Result.Added);
    }

    [Fact]
    public void A_deferred_last_tool_moves_the_marker_to_the_last_loaded_tool()
    {
        const string tools = """[{"name":"a","input_schema":{"type":"object"}},{"name":"b","input_schema":{"type":"object"}},{"name":"c","defer_loading":true,"input_schema":{"type":"object"}}]""";
        var json = Json(Run(Body(tools: tools)));
        Assert.NotNull(json["tools"]![1]!["cache_control"]);
        Assert.Null(json["tools"]![2]!["cache_control"]);
    }

    [Fact]
    public void Spots_below_the_models_minimum_cacheable_length_are_skipped()
    {
        var body = Body("\"short system\"", Tools);
        var real = Run(body, options: new CacheInjectionOptions(), model: "claude-sonnet-4-5");
        Assert.Equal(InjectionOutcome.NothingToAdd, real.Result.Outcome);

        // A long enough system prompt qualifies on its own; the tools before it still do not.
        var longSystem = JsonSerializer.Serialize(string.Concat(Enumerable.Repeat("Follow the style guide. ", 250)));
        var o = Run(Body(longSystem, Tools), options: new CacheInjectionOptions(), model: "claude-sonnet-4-5");
        Assert.Equal(BreakpointSpots.System | BreakpointSpots.LatestUserTurn, o.Result.Added);
        // Haiku 4.5 needs 4096 tokens: the same body is too short there.
        Assert.False(Run(Body(longSystem, Tools), options: new CacheInjectionOptions(), model: "claude-haiku-4-5").Rewritten);
    }

    [Fact]
    public void Pretty_printed_bodies_keep_their_whitespace_numbers_escapes_and_unknown_fields_byte_for_byte()
    {
        const string body = """
            {
              "model" : "claude-sonnet-4-5",
              "temperature": 1.50, "top_k": 3e2, "top_p": -0.0, "x_big": 12345678901234567890123,
              "context_management": {"edits": [{"type": "clear_tool_uses_20250919", "keep": {"type": "tool_uses", "value": 3}}]},
              "output_config": {"effort": "high"},
              "system": "Caf\u00e9 \/ \ud83d\ude00 \n tab\t",
              "tools": [ { "name": "t", "input_schema": { "type": "object" } } ],
              "messages": [
                { "role": "user", "content": [ { "type": "text", "text": "hi" } ] },
                { "role": "assistant", "content": "yo" },
                { "content": [ { "type": "text", "text": "again" } ], "role": "user" }
              ]
            }
            """;
        var o = Run(body);

        Assert.Equal(3, o.Result.AddedCount);
        Assert.Equal(4, MarkerDiff.InsertedRuns(o.Input, o.Output));
        var text = o.Text;
        Assert.Contains("\"temperature\": 1.50, \"top_k\": 3e2, \"top_p\": -0.0, \"x_big\": 12345678901234567890123,", text);
        Assert.Contains("""[{"type":"text","text":"Caf\u00e9 \/ \ud83d\ude00 \n tab\t","cache_control":{"type":"ephemeral"}}]""", text);
        Assert.Contains("""{ "type": "object" } ,"cache_control":{"type":"ephemeral"}}""", text);
        Assert.Contains("""{ "type": "text", "text": "again" ,"cache_control":{"type":"ephemeral"}}""", text);
    }

    [Fact]
    public void An_empty_tool_object_gets_the_property_without_a_leading_comma()
    {
        var o = Run(Body(tools: "[{}]", messages: """[{"role":"user","content":"x"}]"""));
        Assert.Contains("""[{"cache_control":{"type":"ephemeral"}}]""", o.Text);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"just a string\"")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"system\":\"a\",\"system\":\"b\"}")]
    [InlineData("{\"model\":\"m\",\"messages\":[")]
    [InlineData("")]
    public void Unreadable_or_ambiguous_bodies_are_left_alone(string body)
    {
        var o = Run(body);
        Assert.False(o.Rewritten);
        Assert.Equal(InjectionOutcome.Unreadable, o.Result.Outcome);
    }

    [Fact]
    public void Apply_returns_a_new_request_body_or_null()
    {
        var injection = new CacheInjection(new CacheInjector(NoMinimum()));
        var bytes = Encoding.UTF8.GetBytes(Body("\"sys\"", Tools));
        using var body = Front.Envelope.RequestBody.FromBytes(bytes);
        Assert.True(Front.Envelope.EnvelopeReader.TryRead(body.Span, null, out var envelope, out _));

        using var rewritten = injection.Apply(body, envelope, CachePolicy.Default, out var result);
        Assert.NotNull(rewritten);
        Assert.Equal(3, result.AddedCount);
        Assert.Equal(3, BreakpointAudit.Count(rewritten!.Span));
        Assert.True(body.Span.SequenceEqual(bytes)); // the original is untouched and still the caller's

        Assert.Null(injection.Apply(rewritten, envelope, CachePolicy.Default, out var again));
        Assert.Equal(InjectionOutcome.NothingToAdd, again.Outcome);
        Assert.Null(injection.Apply(body, envelope, CachePolicy.Disabled, out var off));
        Assert.Equal(InjectionOutcome.Disabled, off.Outcome);
    }
}
