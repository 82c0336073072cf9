using System.Buffers;
using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>The non-streaming reply: a Message object with Anthropic's field order.</summary>
internal static class MessageJson
{
    public static ReadOnlyMemory<byte> Build(string id, string model, in ReplyPlan plan, in ReplyUsage usage, FakeUpstreamOptions? options = null)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using var json = new Utf8JsonWriter(buffer, FakeJson.Options);
        json.WriteStartObject();
        json.WriteString("id"u8, id);
        json.WriteString("type"u8, "message"u8);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteString("model"u8, model);
        json.WriteStartArray("content"u8);
        if (options is not null)
        {
            BulkyReply.Write(json, options);
        }
        json.WriteStartObject();
        if (plan.IsToolUse)
        {
            json.WriteString("type"u8, "tool_use"u8);
            json.WriteString("id"u8, plan.ToolId);
            json.WriteString("name"u8, plan.ToolName);
            json.WriteStartObject("input"u8);
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("type"u8, "text"u8);
            json.WriteString("text"u8, plan.Text);
        }
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteString("stop_reason"u8, plan.StopReason);
        json.WriteNull("stop_sequence"u8);
        usage.Write(json, usage.OutputTokens);
        json.WriteEndObject();
        json.Flush();
        return buffer.WrittenMemory;
    }
}
