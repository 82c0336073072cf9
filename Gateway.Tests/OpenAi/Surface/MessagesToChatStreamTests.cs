using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Front.OpenAi.Surface;

namespace Gateway.Tests.OpenAi.Surface;

/// <summary>Messages SSE in, Chat Completions chunks out: event by event, whatever the byte boundaries.</summary>
public sealed class MessagesToChatStreamTests
{
    private static readonly string[] Events =
    [
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01abc\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":2000,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"secret plan\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"sig\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: ping\ndata: {\"type\": \"ping\"}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello \\\"w\\\" \"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"— 你好 🙂\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01\",\"name\":\"get_weather\",\"input\":{}}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"Paris\\\"}\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":42}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    ];

    private static List<string> Lines(string sse) =>
        sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e =>
        {
            Assert.StartsWith("data: ", e);
            return e["data: ".Length..];
        }).ToList();

    private static string Drain(MessagesToChatStream translator)
    {
        var text = Encoding.UTF8.GetString(translator.Pending.Span);
        translator.ClearPending();
        return text;
    }

    [Fact]
    public void Each_event_is_translated_as_soon_as_it_is_fed()
    {
        using var translator = new MessagesToChatStream("claude-sonnet-4-5", 1_700_000_000, includeUsage: true);
        var perEvent = Events.Select(e =>
        {
            translator.Feed(Encoding.UTF8.GetBytes(e));
            return Drain(translator);
        }).ToList();

        // Nothing for thinking, signature, block stops or pings; one chunk for each other event.
        Assert.Equal([1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 2], perEvent.Select(e => Lines(e).Count).ToList());
        Assert.True(translator.Finished);

        var chunks = perEvent.SelectMany(Lines).ToList();
        Assert.Equal("[DONE]", chunks[^1]);
        var json = chunks[..^1].Select(c => JsonNode.Parse(c)!).ToList();
        foreach (var chunk in json)
        {
            Assert.Equal("chatcmpl-msg_01abc", (string)chunk["id"]!);
            Assert.Equal("chat.completion.chunk", (string)chunk["object"]!);
            Assert.Equal(1_700_000_000, (long)chunk["created"]!);
            Assert.Equal("claude-sonnet-4-5-20250929", (string)chunk["model"]!);
        }
        Assert.Equal("assistant", (string)json[0]["choices"]![0]!["delta"]!["role"]!);
        Assert.Equal("Hello \"w\" — 你好 🙂", string.Concat(json.Select(c => (string?)c["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"])));

        var toolStart = json[3]["choices"]![0]!["delta"]!["tool_calls"]![0]!;
        Assert.Equal(0, (int)toolStart["index"]!);
        Assert.Equal("toolu_01", (string)toolStart["id"]!);
        Assert.Equal("function", (string)toolStart["type"]!);
        Assert.Equal("get_weather", (string)toolStart["function"]!["name"]!);
        var arguments = string.Concat(json.Skip(3).Select(c => (string?)c["choices"]!.AsArray().FirstOrDefault()?["delta"]?["tool_calls"]?[0]?["function"]?["arguments"]));
        Assert.Equal("Paris", JsonDocument.Parse(arguments).RootElement.GetProperty("city").GetString());

        Assert.Equal("tool_calls", (string)json[^2]["choices"]![0]!["finish_reason"]!);
        var usage = json[^1]["usage"]!;
        Assert.Empty(json[^1]["choices"]!.AsArray());
        Assert.Equal(2125, (long)usage["prompt_tokens"]!);
        Assert.Equal(42, (long)usage["completion_tokens"]!);
        Assert.Equal(2167, (long)usage["total_tokens"]!);
        Assert.Equal(2000, (long)usage["prompt_tokens_details"]!["cached_tokens"]!);
    }

    [Fact]
    public void Any_split_of_the_bytes_gives_the_same_chunks()
    {
        var bytes = Encoding.UTF8.GetBytes(string.Concat(Events));
        string Run(IEnumerable<int> cuts)
        {
            using var translator = new MessagesToChatStream("m", 1, includeUsage: true);
            var output = new StringBuilder();
            var at = 0;
            foreach (var cut in cuts.Append(bytes.Length))
            {
                translator.Feed(bytes.AsSpan(at, cut - at));
                output.Append(Drain(translator));
                at = cut;
            }
            translator.Complete();
            return output.Append(Drain(translator)).ToString();
        }

        var whole = Run([]);
        Assert.Equal(Run(Enumerable.Range(1, bytes.Length - 1)), whole); // one byte at a time
        var random = new Random(1234);
        for (var round = 0; round < 50; round++)
        {
            var cuts = Enumerable.Range(0, random.Next(1, 40)).Select(_ => random.Next(1, bytes.Length)).Distinct().Order();
            Assert.Equal(whole, Run(cuts));
        }
        // CRLF line ends are SSE too.
        Assert.Equal(whole, Encoding.UTF8.GetString(Translate(Encoding.UTF8.GetBytes(string.Concat(Events).Replace("\n", "\r\n")))));
    }

    private static byte[] Translate(byte[] sse)
    {
        using var translator = new MessagesToChatStream("m", 1, includeUsage: true);
        translator.Feed(sse);
        translator.Complete();
        return translator.Pending.ToArray();
    }

    [Fact]
    public void Without_include_usage_the_stream_ends_with_the_finish_chunk_and_done()
    {
        using var translator = new MessagesToChatStream("m", 1, includeUsage: false);
        foreach (var e in Events)
        {
            translator.Feed(Encoding.UTF8.GetBytes(e));
        }
        var lines = Lines(Drain(translator));
        Assert.Equal("[DONE]", lines[^1]);
        Assert.Equal("tool_calls", (string)JsonNode.Parse(lines[^2])!["choices"]![0]!["finish_reason"]!);
        Assert.DoesNotContain(lines, l => l.Contains("\"usage\""));
    }

    [Fact]
    public void A_mid_stream_error_becomes_an_openai_error_line_and_ends_the_stream()
    {
        using var translator = new MessagesToChatStream("m", 1, includeUsage: true);
        translator.Feed(Encoding.UTF8.GetBytes(Events[0] + Events[5] + Events[7]));
        translator.Feed("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"u8);
        translator.Feed(Encoding.UTF8.GetBytes(Events[8] + Events[^2] + Events[^1]));
        translator.Complete();

        var lines = Lines(Drain(translator));
        Assert.True(translator.Finished);
        Assert.Equal(3, lines.Count); // role, one text delta, the error: nothing after it, no [DONE]
        var error = JsonNode.Parse(lines[^1])!["error"]!;
        Assert.Equal("Overloaded", (string)error["message"]!);
        Assert.Equal("server_error", (string)error["type"]!);
        Assert.Equal("overloaded_error", (string)error["code"]!);
        Assert.Equal("overloaded_error", translator.Usage.ErrorType);
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("refusal", "content_filter")]
    public void Stop_reasons_become_finish_reasons(string stopReason, string finishReason)
    {
        var sse = Events[0] + $"event: message_delta\ndata: {{\"type\":\"message_delta\",\"delta\":{{\"stop_reason\":\"{stopReason}\"}},\"usage\":{{\"output_tokens\":3}}}}\n\n";
        var lines = Lines(Encoding.UTF8.GetString(Translate(Encoding.UTF8.GetBytes(sse))));
        Assert.Equal(finishReason, (string)JsonNode.Parse(lines[^1])!["choices"]![0]!["finish_reason"]!);
    }
}
