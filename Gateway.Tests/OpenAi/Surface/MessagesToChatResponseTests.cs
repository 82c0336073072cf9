using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Front.Buffers;
using Gateway.Front.OpenAi.Surface;

namespace Gateway.Tests.OpenAi.Surface;

/// <summary>Whole Messages answers and error bodies in OpenAI's shapes.</summary>
public sealed class MessagesToChatResponseTests
{
    private static JsonNode Completion(string message)
    {
        using var output = new PooledBufferWriter();
        Assert.True(MessagesToChatResponse.TryWrite(Encoding.UTF8.GetBytes(message), output, "requested-model", 1_700_000_000));
        return JsonNode.Parse(output.WrittenSpan)!;
    }

    [Fact]
    public void A_text_and_tool_use_message_becomes_a_chat_completion()
    {
        var completion = Completion("""
            {"id":"msg_01xyz","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
             "content":[{"type":"thinking","thinking":"hidden","signature":"s"},
                        {"type":"text","text":"Let me check \"Paris\". "},{"type":"text","text":"One moment."},
                        {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris","days":[1,2]}}],
             "stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":10,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":7}}
            """);
        Assert.Equal("chatcmpl-msg_01xyz", (string)completion["id"]!);
        Assert.Equal("chat.completion", (string)completion["object"]!);
        Assert.Equal(1_700_000_000, (long)completion["created"]!);
        Assert.Equal("claude-sonnet-4-5-20250929", (string)completion["model"]!);
        var choice = completion["choices"]![0]!;
        Assert.Equal(0, (int)choice["index"]!);
        Assert.Equal("tool_calls", (string)choice["finish_reason"]!);
        var message = choice["message"]!;
        Assert.Equal("assistant", (string)message["role"]!);
        Assert.Equal("Let me check \"Paris\". One moment.", (string)message["content"]!);
        var call = message["tool_calls"]![0]!;
        Assert.Equal("toolu_1", (string)call["id"]!);
        Assert.Equal("function", (string)call["type"]!);
        Assert.Equal("get_weather", (string)call["function"]!["name"]!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"city":"Paris","days":[1,2]}"""), JsonNode.Parse((string)call["function"]!["arguments"]!)));
        var usage = completion["usage"]!;
        Assert.Equal(115, (long)usage["prompt_tokens"]!);
        Assert.Equal(7, (long)usage["completion_tokens"]!);
        Assert.Equal(122, (long)usage["total_tokens"]!);
        Assert.Equal(100, (long)usage["prompt_tokens_details"]!["cached_tokens"]!);
    }

    [Fact]
    public void A_tool_only_answer_has_null_content_and_no_tool_calls_means_none()
    {
        var toolOnly = Completion("""{"id":"m","type":"message","content":[{"type":"tool_use","id":"t","name":"f","input":{}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":1}}""");
        Assert.Equal(JsonValueKind.Null, toolOnly["choices"]![0]!["message"]!["content"]?.GetValueKind() ?? JsonValueKind.Null);
        Assert.Equal("{}", (string)toolOnly["choices"]![0]!["message"]!["tool_calls"]![0]!["function"]!["arguments"]!);
        Assert.Equal("requested-model", (string)toolOnly["model"]!);

        var text = Completion("""{"id":"m","type":"message","content":[{"type":"text","text":"hi"}],"stop_reason":"max_tokens","usage":{"input_tokens":1,"output_tokens":1}}""");
        Assert.Null(text["choices"]![0]!["message"]!["tool_calls"]);
        Assert.Equal("length", (string)text["choices"]![0]!["finish_reason"]!);
    }

    [Fact]
    public void A_body_that_is_not_a_message_is_not_translated()
    {
        using var output = new PooledBufferWriter();
        Assert.False(MessagesToChatResponse.TryWrite("""{"data":[]}"""u8, output, "m", 1));
        Assert.False(MessagesToChatResponse.TryWrite("not json"u8, output, "m", 1));
    }

    [Theory]
    [InlineData(429, """{"type":"error","error":{"type":"rate_limit_error","message":"Slow down"},"request_id":"req_1"}""", "rate_limit_exceeded", "Slow down", "rate_limit_error")]
    [InlineData(401, """{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}""", "authentication_error", "invalid x-api-key", "authentication_error")]
    [InlineData(529, """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""", "server_error", "Overloaded", "overloaded_error")]
    [InlineData(413, """{"type":"error","error":{"type":"request_too_large","message":"Too big"}}""", "invalid_request_error", "Too big", "request_too_large")]
    [InlineData(402, """{"type":"error","error":{"type":"billing_error","message":"Pay"}}""", "insufficient_quota", "Pay", "billing_error")]
    [InlineData(502, "<html>Bad gateway</html>", "server_error", "<html>Bad gateway</html>", "api_error")]
    [InlineData(503, "", "server_error", "The gateway answered with HTTP 503.", "overloaded_error")]
    public void Anthropic_errors_become_openai_errors_keeping_the_anthropic_type_as_code(int status, string body, string type, string message, string code)
    {
        using var output = new PooledBufferWriter();
        OpenAiErrorBody.Translate(Encoding.UTF8.GetBytes(body), status, output);
        var error = JsonNode.Parse(output.WrittenSpan)!["error"]!;
        Assert.Equal(type, (string)error["type"]!);
        Assert.Equal(message, (string)error["message"]!);
        Assert.Equal(code, (string)error["code"]!);
        Assert.True(error.AsObject().ContainsKey("param"));
    }

    [Fact]
    public void An_error_already_in_openai_shape_is_kept_as_it_is()
    {
        var body = """{"error":{"message":"Invalid 'n'","type":"invalid_request_error","param":"n","code":null}}""";
        using var output = new PooledBufferWriter();
        OpenAiErrorBody.Translate(Encoding.UTF8.GetBytes(body), 400, output);
        Assert.Equal(body, Encoding.UTF8.GetString(output.WrittenSpan));
    }
}
