using System.Text;
using System.Text.Json.Nodes;
using Gateway.Front.Buffers;
using Gateway.Front.OpenAi.Surface;

namespace Gateway.Tests.OpenAi.Surface;

/// <summary>Golden Chat Completions requests and the Messages requests they must become.</summary>
public sealed class ChatToMessagesRequestTests
{
    private static (JsonNode Messages, ChatRequestShape Shape) Translate(string chat)
    {
        using var output = new PooledBufferWriter();
        Assert.True(ChatToMessagesRequest.TryTranslate(Encoding.UTF8.GetBytes(chat), output, out var shape, out var error), error?.Message);
        return (JsonNode.Parse(output.WrittenSpan)!, shape);
    }

    private static ChatRequestError Reject(string chat)
    {
        using var output = new PooledBufferWriter();
        Assert.False(ChatToMessagesRequest.TryTranslate(Encoding.UTF8.GetBytes(chat), output, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error!.Message));
        return error;
    }

    private static void AssertJson(string expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\n  actual {actual.ToJsonString()}");

    [Fact]
    public void A_plain_chat_gets_the_default_max_tokens_and_system_messages_become_the_system_prompt()
    {
        var (body, shape) = Translate("""
            {"model":"claude-sonnet-4-5","messages":[
              {"role":"system","content":"You are terse."},
              {"role":"developer","content":[{"type":"text","text":"Answer in French."}]},
              {"role":"user","content":"Hello"}]}
            """);
        AssertJson("""
            {"model":"claude-sonnet-4-5","max_tokens":4096,
             "messages":[{"role":"user","content":[{"type":"text","text":"Hello"}]}],
             "system":[{"type":"text","text":"You are terse."},{"type":"text","text":"Answer in French."}]}
            """, body);
        Assert.Equal(new ChatRequestShape("claude-sonnet-4-5", false, false), shape);
    }

    [Fact]
    public void Sampling_limits_stop_stream_and_user_map_to_their_messages_fields()
    {
        var (body, shape) = Translate("""
            {"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":100,"max_completion_tokens":200,
             "temperature":1.6,"top_p":0.5,"stop":"END","stream":true,"stream_options":{"include_usage":true},
             "user":"alice","n":1,"seed":7,"response_format":{"type":"json_object"},"presence_penalty":0.1,"logprobs":false}
            """);
        AssertJson("""
            {"model":"m","max_tokens":200,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],
             "temperature":1,"top_p":0.5,"stop_sequences":["END"],"stream":true,"metadata":{"user_id":"alice"}}
            """, body);
        Assert.True(shape.Stream);
        Assert.True(shape.IncludeUsage);

        var (array, _) = Translate("""{"model":"m","messages":[{"role":"user","content":"hi"}],"stop":["a","b"],"temperature":0.3}""");
        Assert.Equal("""["a","b"]""", array["stop_sequences"]!.ToJsonString());
        Assert.Equal(0.3, (double)array["temperature"]!);
    }

    [Fact]
    public void Tools_tool_calls_and_tool_results_round_trip_into_tool_use_and_tool_result_blocks()
    {
        var (body, _) = Translate("""
            {"model":"m","parallel_tool_calls":false,"tool_choice":{"type":"function","function":{"name":"get_weather"}},
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather for a city","strict":true,
                       "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
                      {"type":"function","function":{"name":"now"}}],
             "messages":[
              {"role":"user","content":"Weather in Paris and Lyon?"},
              {"role":"assistant","content":null,"tool_calls":[
                 {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                 {"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Lyon\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"18C"},
              {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"21C"}]},
              {"role":"user","content":"Thanks"}]}
            """);
        AssertJson("""
            {"model":"m","max_tokens":4096,
             "messages":[
              {"role":"user","content":[{"type":"text","text":"Weather in Paris and Lyon?"}]},
              {"role":"assistant","content":[
                 {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}},
                 {"type":"tool_use","id":"call_2","name":"get_weather","input":{"city":"Lyon"}}]},
              {"role":"user","content":[
                 {"type":"tool_result","tool_use_id":"call_1","content":"18C"},
                 {"type":"tool_result","tool_use_id":"call_2","content":[{"type":"text","text":"21C"}]},
                 {"type":"text","text":"Thanks"}]}],
             "tools":[{"name":"get_weather","description":"Weather for a city",
                       "input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
                      {"name":"now","input_schema":{"type":"object","properties":{}}}],
             "tool_choice":{"type":"tool","name":"get_weather","disable_parallel_tool_use":true}}
            """, body);
    }

    [Theory]
    [InlineData("\"auto\"", """{"type":"auto"}""")]
    [InlineData("\"none\"", """{"type":"none"}""")]
    [InlineData("\"required\"", """{"type":"any"}""")]
    public void Tool_choice_strings_map_to_messages_types(string choice, string expected)
    {
        var (body, _) = Translate($$$"""{"model":"m","tool_choice":{{{choice}}},"tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"x"}]}""");
        AssertJson(expected, body["tool_choice"]!);
    }

    [Fact]
    public void Tool_choice_without_tools_is_left_out()
    {
        var (body, _) = Translate("""{"model":"m","tool_choice":"auto","messages":[{"role":"user","content":"x"}]}""");
        Assert.Null(body["tool_choice"]);
        Assert.Null(body["tools"]);
    }

    [Fact]
    public void Images_become_base64_or_url_image_blocks_and_consecutive_user_messages_merge()
    {
        var (body, _) = Translate("""
            {"model":"m","messages":[
              {"role":"user","content":[{"type":"text","text":"What is this?"},
                {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo+/=","detail":"high"}}]},
              {"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]},
              {"role":"assistant","content":"A cat."},
              {"role":"assistant","content":[{"type":"text","text":"Orange."}]}]}
            """);
        AssertJson("""
            [{"role":"user","content":[{"type":"text","text":"What is this?"},
               {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo+/="}},
               {"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}]},
             {"role":"assistant","content":[{"type":"text","text":"A cat."},{"type":"text","text":"Orange."}]}]
            """, body["messages"]!);
    }

    [Fact]
    public void Escaped_text_and_unicode_are_carried_exactly()
    {
        var text = "Line one\nsays \"hi\" — 你好 🙂 \\ end";
        var chat = new JsonObject
        {
            ["model"] = "m",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
        };
        var (body, _) = Translate(chat.ToJsonString());
        Assert.Equal(text, (string)body["messages"]![0]!["content"]![0]!["text"]!);
    }

    [Fact]
    public void Fields_in_any_order_and_anthropic_extras_pass()
    {
        var (body, _) = Translate("""
            {"messages":[{"content":"hi","role":"user"}],"thinking":{"type":"enabled","budget_tokens":2048},"top_k":5,"model":"m","max_tokens":4000}
            """);
        AssertJson("""{"type":"enabled","budget_tokens":2048}""", body["thinking"]!);
        Assert.Equal(5, (int)body["top_k"]!);
        Assert.Equal("user", (string)body["messages"]![0]!["role"]!);
    }

    [Theory]
    [InlineData("""{"model":"m","n":2,"messages":[{"role":"user","content":"x"}]}""", "n")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}]}""", "model")]
    [InlineData("""{"model":"m"}""", "messages")]
    [InlineData("""{"model":"m","messages":[{"role":"system","content":"only a system prompt"}]}""", "messages")]
    [InlineData("""{"model":"m","temperature":2.5,"messages":[{"role":"user","content":"x"}]}""", "temperature")]
    [InlineData("""{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]}""", "max_tokens")]
    [InlineData("""{"model":"m","messages":[{"role":"wizard","content":"x"}]}""", "messages[0].role")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"},{"role":"tool","content":"y"}]}""", "messages[1].tool_call_id")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x"}}]}]}""", "messages[0].content[0].image_url.url")]
    [InlineData("""{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{not json"}}]}]}""", "messages[0].tool_calls[0].function.arguments")]
    [InlineData("""{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1,2]"}}]}]}""", "messages[0].tool_calls[0].function.arguments")]
    [InlineData("""{"model":"m","tools":[{"type":"custom","custom":{"name":"x"}}],"messages":[{"role":"user","content":"x"}]}""", "tools[0].type")]
    [InlineData("""{"model":"m","tool_choice":"sometimes","tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"x"}]}""", "tool_choice")]
    [InlineData("""{"model":"m","functions":[{"name":"f"}],"messages":[{"role":"user","content":"x"}]}""", "functions")]
    public void Bad_requests_are_rejected_naming_the_parameter(string chat, string param)
    {
        var error = Reject(chat);
        Assert.Equal(param, error.Param);
        Assert.Contains(param, error.Message); // the message names the field too, as OpenAI's do
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}]} trailing""")]
    public void Malformed_bodies_are_rejected(string chat)
    {
        Assert.Null(Reject(chat).Param);
    }

    [Fact]
    public void Empty_tool_arguments_mean_an_empty_input_object()
    {
        var (body, _) = Translate("""{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":""}}]}]}""");
        AssertJson("{}", body["messages"]![1]!["content"]![0]!["input"]!);
    }
}
