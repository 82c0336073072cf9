using Gateway.Front.Streaming;

namespace Gateway.Tests.Streaming;

/// <summary>The one reader of SSE fields and the event-data buffer the usage tap and both stream translators share.</summary>
public sealed class SseLineTests
{
    [Theory]
    [InlineData("data: {\"a\":1}", "{\"a\":1}")]
    [InlineData("data:{\"a\":1}", "{\"a\":1}")]
    [InlineData("data:  two spaces", " two spaces")]
    [InlineData("data:", "")]
    public void A_data_line_gives_its_value_without_one_leading_space(string line, string expected)
    {
        Assert.True(SseLine.TryData(Bytes(line), out var data));
        Assert.Equal(expected, Text(data));
    }

    [Theory]
    [InlineData("event: message_start")]
    [InlineData(": keep-alive")]
    [InlineData("id: 7")]
    [InlineData(" data: indented")]
    public void Other_lines_are_not_data(string line) => Assert.False(SseLine.TryData(Bytes(line), out _));

    [Fact]
    public void An_event_line_gives_its_name_and_a_crlf_end_is_trimmed()
    {
        var line = SseLine.TrimCarriageReturn(Bytes("event: message_delta\r"));

        Assert.True(SseLine.TryEvent(line, out var name));
        Assert.Equal("message_delta", Text(name));
        Assert.Equal("", Text(SseLine.TrimCarriageReturn(Bytes("\r"))));
    }

    [Fact]
    public void Event_data_joins_its_lines_and_clears_for_the_next_event()
    {
        using var data = new SseEventData(64);
        Assert.False(data.HasPayload);

        data.Append(Bytes("{\"a\":"));
        data.Append(Bytes("1}"));
        Assert.True(data.HasPayload);
        Assert.Equal("{\"a\":\n1}", Text(data.Payload));

        data.Clear();
        Assert.False(data.HasPayload);
        data.Append(Bytes("next"));
        Assert.Equal("next", Text(data.Payload));
    }

    [Fact]
    public void An_event_past_the_limit_is_dropped_whole_until_cleared()
    {
        using var data = new SseEventData(8);
        data.Append(Bytes("1234"));
        data.Append(Bytes("56789"));
        data.Append(Bytes("x"));

        Assert.False(data.HasPayload);

        data.Clear();
        data.Append(Bytes("ok"));
        Assert.True(data.HasPayload);
        Assert.Equal("ok", Text(data.Payload));
    }

    private static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static string Text(ReadOnlySpan<byte> bytes) => System.Text.Encoding.UTF8.GetString(bytes);
}
