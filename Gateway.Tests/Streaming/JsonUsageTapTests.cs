using System.Text;
using Gateway.Front.Streaming;

namespace Gateway.Tests.Streaming;

public class JsonUsageTapTests
{
    [Fact]
    public void Reads_usage_and_tool_names_from_a_message_body()
    {
        const string body = """
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[
              {"type":"text","text":"Let me look."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],
             "stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":300,"output_tokens":20,"service_tier":"standard"}}
            """;
        using var tap = new JsonUsageTap();
        var bytes = Encoding.UTF8.GetBytes(body);
        tap.Observe(bytes.AsSpan(0, 50));
        tap.Observe(bytes.AsSpan(50));
        tap.Complete();
        Assert.Equal(10, tap.Usage.InputTokens);
        Assert.Equal(300, tap.Usage.CacheReadInputTokens);
        Assert.Equal(20, tap.Usage.OutputTokens);
        Assert.Equal(310, tap.Usage.TotalInputTokens);
        Assert.Equal(["get_weather"], tap.Usage.ToolNames);
        Assert.Equal("tool_use", tap.Usage.StopReason);
        Assert.True(tap.Usage.Completed);
    }

    [Fact]
    public void An_error_body_is_recognised_and_not_complete()
    {
        using var tap = new JsonUsageTap();
        tap.Observe("""{"type":"error","error":{"type":"rate_limit_error","message":"slow down"},"request_id":"req_1"}"""u8);
        tap.Complete();
        Assert.Equal("rate_limit_error", tap.Usage.ErrorType);
        Assert.False(tap.Usage.Completed);
        Assert.Equal(0, tap.Usage.OutputTokens);
    }
}
