using System.Buffers;
using System.Text;
using System.Text.Json;
using Gateway.Front.OpenAi.Provider;
using Gateway.Front.Streaming;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.OpenAi.Provider;

/// <summary>Chat Completions SSE → Anthropic events, fed as a whole, chunk by chunk, and split at every byte.</summary>
public sealed class ChatToMessagesStreamTests
{
    private static string Chunk(string delta, string? finish = null) =>
        $$"""data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{{delta}},"logprobs":null,"finish_reason":{{(finish is null ? "null" : $"\"{finish}\"")}}}]}""" + "\n\n";

    private const string Usage = """data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":50,"completion_tokens":9,"total_tokens":59,"prompt_tokens_details":{"cached_tokens":10}}}""" + "\n\n";
    private const string Done = "data: [DONE]\n\n";

    /// <summary>Text with an escape and multi-byte characters, then two parallel tool calls with arguments in fragments.</summary>
    private static readonly string[] TextAndTools =
    [
        Chunk("""{"role":"assistant","content":"","refusal":null}"""),
        Chunk("""{"content":"Héllo \"wörld\" ☃"}"""),
        Chunk("""{"content":" — 🎉"}"""),
        Chunk("""{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}"""),
        Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]}"""),
        Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"ty\":\"Paris\"}"}}]}"""),
        Chunk("""{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{}"}}]}"""),
        Chunk("{}", "tool_calls"),
        Usage,
        Done,
    ];

    private static string Translate(IEnumerable<byte[]> pieces)
    {
        using var translator = new ChatToMessagesStream();
        var output = new ArrayBufferWriter<byte>();
        foreach (var piece in pieces)
        {
            translator.Feed(piece, output);
        }
        translator.Finish(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static List<(string Name, JsonElement Data)> Events(string sse)
    {
        var events = new List<(string, JsonElement)>();
        foreach (var block in sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            Assert.StartsWith("event: ", lines[0]);
            Assert.StartsWith("data: ", lines[1]);
            var data = Json.Parse(lines[1]["data: ".Length..]);
            Assert.Equal(lines[0]["event: ".Length..], data.GetProperty("type").GetString());
            events.Add((lines[0]["event: ".Length..], data));
        }
        return events;
    }

    private static byte[] All(params string[] chunks) => Encoding.UTF8.GetBytes(string.Concat(chunks));

    [Fact]
    public void Text_and_parallel_tool_calls_become_blocks_in_order_with_usage_at_the_end()
    {
        var events = Events(Translate([All(TextAndTools)]));
        Assert.Equal(
            ["message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
             "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
             "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Name));
        var start = events[0].Data.GetProperty("message");
        Assert.Equal("chatcmpl-9", start.GetProperty("id").GetString());
        Assert.Equal("gpt-4o", start.GetProperty("model").GetString());
        Assert.Equal("Héllo \"wörld\" ☃ — 🎉", string.Concat(events.Where(e => e.Name == "content_block_delta" && e.Data.GetProperty("index").GetInt32() == 0)
            .Select(e => e.Data.GetProperty("delta").GetProperty("text").GetString())));
        var tool = events[5].Data.GetProperty("content_block");
        Assert.Equal(1, events[5].Data.GetProperty("index").GetInt32());
        Assert.Equal("tool_use", tool.GetProperty("type").GetString());
        Assert.Equal("call_a", tool.GetProperty("id").GetString());
        Assert.Equal("get_weather", tool.GetProperty("name").GetString());
        Assert.Equal("""{"city":"Paris"}""", string.Concat(events.Where(e => e.Name == "content_block_delta" && e.Data.GetProperty("index").GetInt32() == 1)
            .Select(e => e.Data.GetProperty("delta").GetProperty("partial_json").GetString())));
        Assert.Equal("get_time", events[9].Data.GetProperty("content_block").GetProperty("name").GetString());
        Assert.Equal(2, events[9].Data.GetProperty("index").GetInt32());
        var delta = events[12].Data;
        Assert.Equal("tool_use", delta.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.True(JsonElement.DeepEquals(Json.Parse("""{"input_tokens":40,"cache_creation_input_tokens":0,"cache_read_input_tokens":10,"output_tokens":9}"""),
            delta.GetProperty("usage")));
    }

    [Fact]
    public void Split_at_every_byte_boundary_the_output_is_the_same()
    {
        var whole = All(TextAndTools);
        var expected = Translate([whole]);
        for (var at = 1; at < whole.Length; at++)
        {
            Assert.Equal(expected, Translate([whole[..at], whole[at..]]));
        }
    }

    [Fact]
    public void Fed_in_random_small_pieces_the_output_is_the_same()
    {
        var whole = All(TextAndTools);
        var expected = Translate([whole]);
        var random = new Random(7);
        for (var round = 0; round < 200; round++)
        {
            var pieces = new List<byte[]>();
            for (var at = 0; at < whole.Length;)
            {
                var length = Math.Min(whole.Length - at, random.Next(1, 12));
                pieces.Add(whole[at..(at + length)]);
                at += length;
            }
            Assert.Equal(expected, Translate(pieces));
        }
    }

    [Fact]
    public void Each_source_chunk_is_translated_when_it_arrives()
    {
        using var translator = new ChatToMessagesStream();
        var output = new ArrayBufferWriter<byte>();
        translator.Feed(Encoding.UTF8.GetBytes(TextAndTools[0] + TextAndTools[1]), output);
        var first = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.Contains("event: message_start", first);
        Assert.Contains("\"text\":\"Héllo \\\"wörld\\\" ☃\"", first);

        output.ResetWrittenCount();
        // Half a line: nothing yet; the rest of it: its delta at once.
        var line = Encoding.UTF8.GetBytes(TextAndTools[2]);
        translator.Feed(line.AsSpan(..10), output);
        Assert.Equal(0, output.WrittenCount);
        translator.Feed(line.AsSpan(10..), output);
        Assert.Contains("🎉", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData("stop", "end_turn")]
    [InlineData("length", "max_tokens")]
    [InlineData("tool_calls", "tool_use")]
    [InlineData("function_call", "tool_use")]
    [InlineData("content_filter", "refusal")]
    public void Every_finish_reason_ends_with_its_stop_reason(string finish, string stop)
    {
        var events = Events(Translate([All(Chunk("""{"content":"x"}"""), Chunk("{}", finish), Usage, Done)]));
        Assert.Equal(stop, events.Single(e => e.Name == "message_delta").Data.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal("message_stop", events[^1].Name);
    }

    [Fact]
    public void The_usage_tap_reads_the_translated_stream_like_an_anthropic_one()
    {
        using var tap = new SseUsageTap();
        tap.Observe(Encoding.UTF8.GetBytes(Translate([All(TextAndTools)])));
        tap.Complete();
        Assert.Equal(40, tap.Usage.InputTokens);
        Assert.Equal(10, tap.Usage.CacheReadInputTokens);
        Assert.Equal(9, tap.Usage.OutputTokens);
        Assert.Equal("gpt-4o", tap.Usage.ServedModel);
        Assert.Equal("tool_use", tap.Usage.StopReason);
        Assert.Equal(["get_weather", "get_time"], tap.Usage.ToolNames);
        Assert.True(tap.Usage.Completed);
    }

    [Fact]
    public void A_stream_without_done_still_ends_when_it_had_a_finish_reason()
    {
        var events = Events(Translate([All(Chunk("""{"content":"x"}"""), Chunk("{}", "stop"), Usage)]));
        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"], events.Select(e => e.Name));
        Assert.Equal(9, events[4].Data.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public void A_stream_that_stops_short_ends_with_an_error_event_not_a_message_stop()
    {
        using var tap = new SseUsageTap();
        var sse = Translate([All(Chunk("""{"content":"x"}"""))]);
        tap.Observe(Encoding.UTF8.GetBytes(sse));
        tap.Complete();
        var events = Events(sse);
        Assert.Equal("error", events[^1].Name);
        Assert.Equal("api_error", events[^1].Data.GetProperty("error").GetProperty("type").GetString());
        Assert.DoesNotContain(events, e => e.Name == "message_stop");
        Assert.False(tap.Usage.Completed);
        Assert.Equal("api_error", tap.Usage.ErrorType);
    }

    [Fact]
    public void An_error_chunk_mid_stream_becomes_an_error_event_and_ends_the_translation()
    {
        var events = Events(Translate([All(Chunk("""{"content":"x"}"""),
            """data: {"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}""" + "\n\n",
            Chunk("""{"content":"ignored"}"""), Done)]));
        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "error"], events.Select(e => e.Name));
        Assert.Equal("billing_error", events[^1].Data.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("You exceeded your current quota", events[^1].Data.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public void Complete_calls_that_all_say_index_0_still_become_separate_blocks()
    {
        var events = Events(Translate([All(
            Chunk("""{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"a","arguments":"{\"x\":1}"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"id":"call_2","type":"function","function":{"name":"b","arguments":"{}"}}]}"""),
            Chunk("{}", "tool_calls"), Done)]));
        var starts = events.Where(e => e.Name == "content_block_start").Select(e => e.Data.GetProperty("content_block")).ToList();
        Assert.Equal(["call_1", "call_2"], starts.Select(b => b.GetProperty("id").GetString()));
        Assert.Equal(["a", "b"], starts.Select(b => b.GetProperty("name").GetString()));
    }

    [Fact]
    public void Comments_crlf_line_ends_and_missing_ids_are_tolerated()
    {
        var sse = ": keep-alive\r\n\r\n" + """data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}""" + "\r\n\r\ndata: [DONE]\r\n\r\n";
        var events = Events(Translate([Encoding.UTF8.GetBytes(sse)]));
        Assert.StartsWith("msg_gw_", events[0].Data.GetProperty("message").GetProperty("id").GetString());
        Assert.StartsWith("toolu_gw_", events[1].Data.GetProperty("content_block").GetProperty("id").GetString());
        Assert.Equal("message_stop", events[^1].Name);
    }
}
