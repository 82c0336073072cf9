using System.Text;
using System.Text.Json;
using Gateway.Front.OpenAi.Provider;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.OpenAi.Provider;

/// <summary>Messages request bodies → Chat Completions bodies, compared whole (golden) or field by field.</summary>
public sealed class MessagesToChatRequestTests
{
    private static string Translate(string messages, string model = "gpt-4o")
    {
        using var body = MessagesToChatRequest.Translate(Encoding.UTF8.GetBytes(messages), model, out var error);
        Assert.True(body is not null, error);
        return Encoding.UTF8.GetString(body.Span);
    }

    private static void AssertJsonEqual(string expected, string actual) =>
        Assert.True(JsonElement.DeepEquals(Json.Parse(expected), Json.Parse(actual)), $"expected {expected}\nactual   {actual}");

    [Fact]
    public void A_full_agent_turn_translates_to_the_chat_shape()
    {
        var request = """
            {
              "model": "claude-sonnet-4-5", "max_tokens": 1024, "stream": true, "temperature": 0.2, "top_p": 0.9, "top_k": 40,
              "stop_sequences": ["END"], "metadata": {"user_id": "user-42"},
              "thinking": {"type": "enabled", "budget_tokens": 2000}, "context_management": {"edits": []},
              "system": [{"type": "text", "text": "You are terse."}, {"type": "text", "text": "Use tools.", "cache_control": {"type": "ephemeral"}}],
              "tools": [
                {"name": "get_weather", "description": "Weather for a city", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}, "cache_control": {"type": "ephemeral"}},
                {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}
              ],
              "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
              "messages": [
                {"role": "user", "content": [
                  {"type": "text", "text": "What is in this picture, and the weather?"},
                  {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
                  {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}
                ]},
                {"role": "assistant", "content": [
                  {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                  {"type": "text", "text": "A cat. Checking the weather."},
                  {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
                  {"type": "tool_use", "id": "toolu_02", "name": "get_weather", "input": {"city": "Rome"}}
                ]},
                {"role": "user", "content": [
                  {"type": "tool_result", "tool_use_id": "toolu_01", "content": "18C"},
                  {"type": "tool_result", "tool_use_id": "toolu_02", "content": [{"type": "text", "text": "21C"}, {"type": "text", "text": "sunny"}], "is_error": false},
                  {"type": "text", "text": "Thanks", "cache_control": {"type": "ephemeral"}}
                ]}
              ]
            }
            """;
        var expected = """
            {
              "model": "gpt-4o",
              "messages": [
                {"role": "system", "content": "You are terse.\n\nUse tools."},
                {"role": "user", "content": [
                  {"type": "text", "text": "What is in this picture, and the weather?"},
                  {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                  {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}
                ]},
                {"role": "assistant", "content": "A cat. Checking the weather.", "tool_calls": [
                  {"id": "toolu_01", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
                  {"id": "toolu_02", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Rome\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "toolu_01", "content": "18C"},
                {"role": "tool", "tool_call_id": "toolu_02", "content": "21C\nsunny"},
                {"role": "user", "content": "Thanks"}
              ],
              "max_completion_tokens": 1024, "temperature": 0.2, "top_p": 0.9, "stop": ["END"],
              "stream": true, "stream_options": {"include_usage": true},
              "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
              "tool_choice": "required", "parallel_tool_calls": false,
              "user": "user-42"
            }
            """;
        AssertJsonEqual(expected, Translate(request));
    }

    [Fact]
    public void A_plain_request_stays_plain_and_drops_what_chat_has_no_word_for()
    {
        var translated = Translate("""{"model":"claude-haiku-4-5","max_tokens":64,"system":"Be brief.","cache_control":{"type":"ephemeral"},"messages":[{"role":"user","content":"Hi ☃ \"quoted\""}]}""", "local-llama");
        AssertJsonEqual("""
            {"model":"local-llama","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi ☃ \"quoted\""}],"max_completion_tokens":64}
            """, translated);
        Assert.DoesNotContain("cache_control", translated);
        Assert.DoesNotContain("stream", translated);
    }

    [Theory]
    [InlineData("""{"type":"auto"}""", "\"auto\"")]
    [InlineData("""{"type":"any"}""", "\"required\"")]
    [InlineData("""{"type":"none"}""", "\"none\"")]
    [InlineData("""{"type":"tool","name":"get_weather"}""", """{"type":"function","function":{"name":"get_weather"}}""")]
    public void Tool_choice_maps_to_chats_values(string anthropic, string chat)
    {
        var translated = Json.Parse(Translate($$$"""{"model":"m","max_tokens":5,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"tool_choice":{{{anthropic}}},"messages":[{"role":"user","content":"x"}]}"""));
        Assert.True(JsonElement.DeepEquals(Json.Parse(chat), translated.GetProperty("tool_choice")));
        Assert.False(translated.TryGetProperty("parallel_tool_calls", out _));
    }

    [Fact]
    public void Only_server_tools_means_no_tools_and_no_tool_choice()
    {
        var translated = Json.Parse(Translate("""{"model":"m","max_tokens":5,"tools":[{"type":"bash_20250124","name":"bash"}],"tool_choice":{"type":"auto"},"messages":[{"role":"user","content":"x"}]}"""));
        Assert.False(translated.TryGetProperty("tools", out _));
        Assert.False(translated.TryGetProperty("tool_choice", out _));
    }

    [Fact]
    public void A_failed_tool_result_says_so_in_its_text_and_images_in_results_are_dropped()
    {
        var messages = Json.Parse(Translate("""
            {"model":"m","max_tokens":5,"messages":[
              {"role":"user","content":"go"},
              {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"run","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":[{"type":"text","text":"boom"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA=="}}]}]}
            ]}
            """)).GetProperty("messages");
        Assert.Equal(3, messages.GetArrayLength());
        Assert.Equal(JsonValueKind.Null, messages[1].GetProperty("content").ValueKind);
        Assert.Equal("{}", messages[1].GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal("tool", messages[2].GetProperty("role").GetString());
        Assert.Equal("Error: boom", messages[2].GetProperty("content").GetString());
    }

    [Fact]
    public void Several_assistant_text_blocks_are_joined()
    {
        var messages = Json.Parse(Translate("""
            {"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"text","text":"one "},{"type":"text","text":"two"}]},{"role":"user","content":"b"}]}
            """)).GetProperty("messages");
        Assert.Equal("one two", messages[1].GetProperty("content").GetString());
    }

    [Theory]
    [InlineData("""{"model":"m","max_tokens":5}""", "messages")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":{}}""", "messages")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"content":"no role"}]}""", "role")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":5}]}""", "content")]
    public void A_body_that_cannot_be_translated_is_refused_with_a_reason(string body, string mentions)
    {
        Assert.Null(MessagesToChatRequest.Translate(Encoding.UTF8.GetBytes(body), "m", out var error));
        Assert.Contains(mentions, error);
    }
}
