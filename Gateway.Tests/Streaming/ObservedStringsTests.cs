using System.Text;
using Gateway.Front.Streaming;
using Gateway.Grains.Text;

namespace Gateway.Tests.Streaming;

/// <summary>
/// Strings the taps observe in an upstream reply (served model, tool names a tenant defined and the model
/// echoed, error types) reach Postgres and labels: they are cleaned and capped, and one that cannot be
/// decoded (a lone surrogate escape) does not cost the event its usage.
/// </summary>
public class ObservedStringsTests
{
    private static ObservedUsage Sse(string stream)
    {
        using var tap = new SseUsageTap();
        tap.Observe(Encoding.UTF8.GetBytes(stream));
        tap.Complete();
        return tap.Usage;
    }

    [Fact]
    public void A_lone_surrogate_in_message_start_s_model_or_a_tool_name_keeps_the_usage()
    {
        var usage = Sse(
            "event: message_start\n" +
            "data: {\"type\":\"message_start\",\"message\":{\"model\":\"claude\\ud800\",\"content\":[],\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n" +
            "event: content_block_start\n" +
            "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"tool\\udc00\\u0000" + new string('n', 5000) + "\",\"input\":{}}}\n\n" +
            "event: message_delta\n" +
            "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":42}}\n\n" +
            "event: message_stop\n" +
            "data: {\"type\":\"message_stop\"}\n\n");
        Assert.Equal(25, usage.InputTokens);
        Assert.Equal(42, usage.OutputTokens);
        Assert.True(usage.Completed);
        Assert.True(BoundedText.IsPrintable(usage.ServedModel));
        Assert.StartsWith("claude", usage.ServedModel);
        var name = Assert.Single(usage.ToolNames);
        Assert.Equal(BoundedText.MaxNameLength, name.Length);
        Assert.True(BoundedText.IsPrintable(name));
    }

    [Fact]
    public void A_hostile_error_type_is_cleaned_and_capped()
    {
        using var tap = new JsonUsageTap();
        tap.Observe(Encoding.UTF8.GetBytes("{\"type\":\"error\",\"error\":{\"type\":\"rate\\u0000limit" + new string('e', 10_000) + "\",\"message\":\"x\"}}"));
        tap.Complete();
        Assert.Equal(BoundedText.MaxTokenLength, tap.Usage.ErrorType!.Length);
        Assert.StartsWith("ratelimit", tap.Usage.ErrorType);
        Assert.False(tap.Usage.Completed);

        var sse = Sse("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded\\u001b_error\",\"message\":\"x\"}}\n\n");
        Assert.Equal("overloaded_error", sse.ErrorType);
    }
}
