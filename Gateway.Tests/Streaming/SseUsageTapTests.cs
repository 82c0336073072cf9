using System.Text;
using Gateway.Front.Streaming;

namespace Gateway.Tests.Streaming;

public class SseUsageTapTests
{
    private const string Stream =
        "event: message_start\n" +
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":1000,\"cache_read_input_tokens\":2000,\"output_tokens\":1}}}\n\n" +
        "event: content_block_start\r\n" +
        "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\r\n\r\n" +
        "event: ping\n" +
        "data: {\"type\": \"ping\"}\n\n" +
        "event: content_block_delta\n" +
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello \\\"world\\\"\"}}\n\n" +
        "event: content_block_stop\n" +
        "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
        "event: content_block_start\n" +
        "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Read\",\"input\":{}}}\n\n" +
        "event: content_block_delta\n" +
        "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"path\\\": \"}}\n\n" +
        "event: content_block_stop\n" +
        "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n" +
        "event: message_delta\n" +
        "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n" +
        "event: message_delta\n" +
        "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":42}}\n\n" +
        "event: message_stop\n" +
        "data: {\"type\":\"message_stop\"}\n\n";

    private static ObservedUsage Tap(byte[] bytes, int chunkSize)
    {
        using var tap = new SseUsageTap();
        for (var i = 0; i < bytes.Length; i += chunkSize)
        {
            tap.Observe(bytes.AsSpan(i, Math.Min(chunkSize, bytes.Length - i)));
        }
        tap.Complete();
        return tap.Usage;
    }

    [Fact]
    public void Reads_usage_model_tools_and_stop_reason_whatever_the_chunking()
    {
        var bytes = Encoding.UTF8.GetBytes(Stream);
        foreach (var chunk in new[] { 1, 2, 3, 7, 13, 64, 500, bytes.Length })
        {
            var usage = Tap(bytes, chunk);
            Assert.Equal(25, usage.InputTokens);
            Assert.Equal(1000, usage.CacheCreationInputTokens);
            Assert.Equal(2000, usage.CacheReadInputTokens);
            // message_delta usage is cumulative: the last one wins, never the sum.
            Assert.Equal(42, usage.OutputTokens);
            Assert.Equal("claude-sonnet-4-5-20250929", usage.ServedModel);
            Assert.Equal("tool_use", usage.StopReason);
            Assert.Equal(["Read"], usage.ToolNames);
            Assert.True(usage.Completed);
            Assert.Null(usage.ErrorType);
        }
    }

    [Fact]
    public void A_mid_stream_error_event_is_seen_and_the_stream_is_not_complete()
    {
        var cut = Stream[..Stream.IndexOf("event: content_block_stop", StringComparison.Ordinal)]
            + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        var usage = Tap(Encoding.UTF8.GetBytes(cut), 5);
        Assert.Equal("overloaded_error", usage.ErrorType);
        Assert.False(usage.Completed);
        Assert.Equal(1, usage.OutputTokens); // what was observed before the cut is what is billed
    }

    [Fact]
    public void Garbage_and_random_cuts_never_throw()
    {
        var random = new Random(1234);
        var bytes = Encoding.UTF8.GetBytes(Stream);
        for (var round = 0; round < 500; round++)
        {
            var mutated = (byte[])bytes.Clone();
            for (var i = 0; i < 20; i++)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }
            var usage = Tap(mutated.AsSpan(0, random.Next(mutated.Length)).ToArray(), random.Next(1, 100));
            Assert.True(usage.OutputTokens >= 0);
        }
    }

    [Fact]
    public void An_event_past_the_line_limit_is_skipped_whether_it_arrives_whole_or_in_pieces()
    {
        // Found by the tap's fuzz: a 300 KB message_start was read when it came in one chunk and
        // skipped when cut, so the bill depended on the network's chunking.
        var padded = Stream.Replace("\"usage\":{\"input_tokens\":25", "\"pad\":\"" + new string('x', 300_000) + "\",\"usage\":{\"input_tokens\":25");
        var bytes = Encoding.UTF8.GetBytes(padded);
        var whole = Tap(bytes, bytes.Length);
        var cut = Tap(bytes, 4096);
        Assert.Equal(0, whole.InputTokens);
        Assert.Equal(whole.InputTokens, cut.InputTokens);
        Assert.Equal(42, whole.OutputTokens);
        Assert.Equal(42, cut.OutputTokens);
    }
}
