using System.Text;
using Gateway.Front.Streaming;

namespace Gateway.Tests.Streaming;

/// <summary>
/// The non-streaming tap reads forward chunk by chunk: <c>usage</c> is found whatever the body's depth or
/// size (past the reader's default depth of 64, past 8 MB), however the bytes are cut into chunks.
/// </summary>
public class JsonUsageTapDepthAndSizeTests
{
    private const string Tail = """
        "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":123,"cache_creation_input_tokens":4,"cache_read_input_tokens":5,"output_tokens":67,"server_tool_use":{"web_search_requests":1}}}
        """;

    private static byte[] Message(string content) =>
        Encoding.UTF8.GetBytes("""{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":""" + content + "," + Tail);

    private static string Nested(int depth) =>
        "[{\"type\":\"text\",\"text\":\"x\",\"citations\":[" + string.Concat(Enumerable.Repeat("{\"n\":[", depth)) + "1" +
        string.Concat(Enumerable.Repeat("]}", depth)) + "]}]";

    private static ObservedUsage Tap(byte[] body, int chunk)
    {
        using var tap = new JsonUsageTap();
        for (var at = 0; at < body.Length; at += chunk)
        {
            tap.Observe(body.AsSpan(at, Math.Min(chunk, body.Length - at)));
        }
        tap.Complete();
        return tap.Usage;
    }

    private static void AssertUsage(ObservedUsage usage)
    {
        Assert.Equal(123, usage.InputTokens);
        Assert.Equal(4, usage.CacheCreationInputTokens);
        Assert.Equal(5, usage.CacheReadInputTokens);
        Assert.Equal(67, usage.OutputTokens);
        Assert.Equal("claude-haiku-4-5", usage.ServedModel);
        Assert.Equal("end_turn", usage.StopReason);
        Assert.True(usage.Completed);
    }

    [Theory]
    [InlineData(200, 1)]
    [InlineData(200, 7)]
    [InlineData(200, 16 * 1024)]
    [InlineData(20_000, 4096)]
    public void Usage_is_read_after_content_nested_far_past_64(int depth, int chunk) =>
        AssertUsage(Tap(Message(Nested(depth)), chunk));

    [Theory]
    [InlineData(16 * 1024)]
    [InlineData(100_000)]
    public void Usage_is_read_after_nine_megabytes_of_content_in_many_blocks_or_one(int chunk)
    {
        var blocks = "[" + string.Join(",", Enumerable.Repeat("{\"type\":\"text\",\"text\":\"" + new string('x', 64 * 1024) + "\"}", 144)) + "]";
        AssertUsage(Tap(Message(blocks), chunk));
        AssertUsage(Tap(Message("[{\"type\":\"text\",\"text\":\"" + new string('y', 9 * 1024 * 1024) + "\"}]"), chunk));
    }

    [Fact]
    public void Tool_names_are_read_at_their_depth_only_and_a_lone_surrogate_name_does_not_lose_the_usage()
    {
        var content = """
            [{"type":"tool_use","id":"t1","name":"get_weather","input":{"type":"tool_use","name":"not_a_call","deep":[{"type":"tool_use","name":"nor_this"}]}},
             {"type":"server_tool_use","id":"t2","name":"web\ud800search","input":{}},
             {"type":"text","text":"hi","name":"not_a_tool"}]
            """;
        var usage = Tap(Message(content), 3);
        AssertUsage(usage);
        Assert.Equal(["get_weather", "web\\ud800search"], usage.ToolNames);
        Assert.Equal(2, usage.ToolCalls);
    }

    [Fact]
    public void A_cut_body_keeps_what_was_read_and_is_not_complete()
    {
        var body = Message("[]");
        using var tap = new JsonUsageTap();
        tap.Observe(body.AsSpan(0, body.Length - 1));
        tap.Complete();
        Assert.Equal(67, tap.Usage.OutputTokens);
        Assert.False(tap.Usage.Completed);
    }

    [Fact]
    public void A_body_that_is_not_json_is_charged_nothing()
    {
        using var tap = new JsonUsageTap();
        tap.Observe("<html>502 Bad Gateway</html>"u8);
        tap.Complete();
        Assert.Equal(0, tap.Usage.TotalInputTokens + tap.Usage.OutputTokens);
        Assert.False(tap.Usage.Completed);
    }

    [Fact]
    public void Hostile_observed_strings_are_cleaned_and_capped()
    {
        var name = "evil\\u0000\\u001b" + new string('t', 10_000);
        var body = Encoding.UTF8.GetBytes("{\"model\":\"m\\u0000" + new string('m', 1000) + "\",\"content\":[" +
            string.Join(",", Enumerable.Repeat("{\"type\":\"tool_use\",\"name\":\"" + name + "\",\"input\":{}}", 100)) + "]," + Tail);
        var usage = Tap(body, 4096);
        Assert.Equal(256, usage.ServedModel!.Length);
        Assert.DoesNotContain('\0', usage.ServedModel);
        Assert.Equal(100, usage.ToolCalls);
        Assert.Equal(ObservedUsage.MaxToolNames, usage.ToolNames.Count);
        Assert.All(usage.ToolNames, n => Assert.Equal("evil" + new string('t', 252), n));
        Assert.Equal(67, usage.OutputTokens);
    }
}
