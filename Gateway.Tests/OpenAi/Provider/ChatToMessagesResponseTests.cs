using System.Buffers;
using System.Text;
using System.Text.Json;
using Gateway.Front.OpenAi.Provider;
using Gateway.Front.Streaming;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.OpenAi.Provider;

/// <summary>Non-streaming Chat completions and OpenAI error bodies → Anthropic Messages and errors.</summary>
public sealed class ChatToMessagesResponseTests
{
    private static JsonElement Translate(string completion)
    {
        var output = new ArrayBufferWriter<byte>();
        ChatToMessagesResponse.Translate(Encoding.UTF8.GetBytes(completion), output);
        return Json.Parse(Encoding.UTF8.GetString(output.WrittenSpan));
    }

    private static string Completion(string message, string finish, string usage = """{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,"prompt_tokens_details":{"cached_tokens":30}}""") =>
        $$"""{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{{message}},"finish_reason":"{{finish}}"}],"usage":{{usage}}}""";

    [Fact]
    public void Text_and_usage_become_a_message()
    {
        var message = Translate(Completion("""{"role":"assistant","content":"Hello","refusal":null}""", "stop"));
        Assert.True(JsonElement.DeepEquals(Json.Parse("""
            {"id":"chatcmpl-1","type":"message","role":"assistant","model":"gpt-4o-2024-08-06",
             "content":[{"type":"text","text":"Hello"}],"stop_reason":"end_turn","stop_sequence":null,
             "usage":{"input_tokens":70,"cache_creation_input_tokens":0,"cache_read_input_tokens":30,"output_tokens":20}}
            """), message), message.ToString());
    }

    [Fact]
    public void Tool_calls_become_tool_use_blocks_with_parsed_input()
    {
        var message = Translate(Completion("""
            {"role":"assistant","content":null,"tool_calls":[
              {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
              {"id":"call_2","type":"function","function":{"name":"noop","arguments":""}},
              {"id":"call_3","type":"function","function":{"name":"broken","arguments":"{\"city\":"}}]}
            """, "tool_calls"));
        Assert.Equal("tool_use", message.GetProperty("stop_reason").GetString());
        var content = message.GetProperty("content");
        Assert.Equal(3, content.GetArrayLength());
        Assert.Equal("call_1", content[0].GetProperty("id").GetString());
        Assert.Equal("Paris", content[0].GetProperty("input").GetProperty("city").GetString());
        Assert.Equal(JsonValueKind.Object, content[1].GetProperty("input").ValueKind);
        Assert.Empty(content[1].GetProperty("input").EnumerateObject());
        // Arguments that are not a JSON object are kept whole, so the Message stays valid.
        Assert.Equal("{\"city\":", content[2].GetProperty("input").GetProperty("_raw").GetString());
    }

    [Theory]
    [InlineData("stop", "end_turn")]
    [InlineData("length", "max_tokens")]
    [InlineData("tool_calls", "tool_use")]
    [InlineData("function_call", "tool_use")]
    [InlineData("content_filter", "refusal")]
    [InlineData("something_new", "end_turn")]
    public void Every_finish_reason_has_a_stop_reason(string finish, string stop) =>
        Assert.Equal(stop, Translate(Completion("""{"role":"assistant","content":"x"}""", finish)).GetProperty("stop_reason").GetString());

    [Fact]
    public void A_refusal_is_the_text_and_the_json_tap_reads_the_translated_usage()
    {
        var output = new ArrayBufferWriter<byte>();
        ChatToMessagesResponse.Translate(Encoding.UTF8.GetBytes(Completion("""{"role":"assistant","content":null,"refusal":"I can't help with that."}""", "content_filter")), output);
        var message = Json.Parse(Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal("I can't help with that.", message.GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("refusal", message.GetProperty("stop_reason").GetString());

        using var tap = new JsonUsageTap();
        tap.Observe(output.WrittenSpan);
        tap.Complete();
        Assert.Equal(70, tap.Usage.InputTokens);
        Assert.Equal(30, tap.Usage.CacheReadInputTokens);
        Assert.Equal(20, tap.Usage.OutputTokens);
        Assert.Equal("gpt-4o-2024-08-06", tap.Usage.ServedModel);
        Assert.True(tap.Usage.Completed);
    }

    public static TheoryData<int, string, string> Errors => new()
    {
        { 400, """{"error":{"message":"Invalid 'messages'","type":"invalid_request_error","param":"messages","code":null}}""", "invalid_request_error" },
        { 401, """{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""", "authentication_error" },
        { 404, """{"error":{"message":"The model `x` does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}""", "not_found_error" },
        { 429, """{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}""", "rate_limit_error" },
        { 429, """{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}""", "billing_error" },
        { 500, """{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}""", "api_error" },
        { 503, """{"detail":"Model is loading"}""", "overloaded_error" },
        { 502, """<html><body>Bad gateway</body></html>""", "api_error" },
        { 400, """{"error":"model 'llama9' not found"}""", "invalid_request_error" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Openai_errors_become_anthropic_errors(int status, string body, string type)
    {
        var output = new ArrayBufferWriter<byte>();
        ChatToMessagesError.Translate(status, Encoding.UTF8.GetBytes(body), output);
        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.Equal(type, Json.AssertAnthropicError(text));
        var message = Json.Parse(text).GetProperty("error").GetProperty("message").GetString()!;
        Assert.True(body.StartsWith('<') ? message.Contains(status.ToString()) : body.Contains(message), message);
    }
}
