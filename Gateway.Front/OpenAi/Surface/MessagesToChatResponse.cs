using System.Buffers;
using System.Text.Json;
using Gateway.Front.Buffers;
using Gateway.Front.Streaming;

namespace Gateway.Front.OpenAi.Surface;

/// <summary>
/// A whole Messages answer (<c>{"type":"message",...}</c>) → a <c>chat.completion</c>: text blocks joined
/// into <c>message.content</c>, <c>tool_use</c> blocks into <c>message.tool_calls</c> (input object → the
/// arguments string), thinking blocks dropped, <c>stop_reason</c> → <c>finish_reason</c>, usage summed.
/// </summary>
public static class MessagesToChatResponse
{
    public const string IdPrefix = "chatcmpl-";

    /// <summary>False when the body is not a Message (the caller then passes it on as it is).</summary>
    public static bool TryWrite(ReadOnlySpan<byte> message, IBufferWriter<byte> output, string requestedModel, long created)
    {
        using var text = new PooledBufferWriter(1024);
        var tools = new List<(string Id, string Name, Range Input)>();
        var usage = new ObservedUsage();
        string? id = null;
        var isMessage = false;
        var hasText = false;
        try
        {
            var reader = new Utf8JsonReader(message);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8)) { reader.Read(); isMessage = reader.ValueTextEquals("message"u8); }
                else if (reader.ValueTextEquals("id"u8)) { reader.Read(); id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
                else if (reader.ValueTextEquals("model"u8)) { reader.Read(); usage.ServedModel = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
                else if (reader.ValueTextEquals("stop_reason"u8)) { reader.Read(); usage.StopReason = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
                else if (reader.ValueTextEquals("usage"u8)) { reader.Read(); UsageJson.ReadUsage(ref reader, usage); }
                else if (reader.ValueTextEquals("content"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        reader.Skip();
                        continue;
                    }
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                    {
                        hasText |= ReadBlock(message, ref reader, text, tools);
                    }
                }
                else { reader.Read(); reader.Skip(); }
            }
        }
        catch (JsonException)
        {
            return false;
        }
        if (!isMessage)
        {
            return false;
        }

        using var writer = new Utf8JsonWriter(output, OpenAiJson.SurfaceWriterOptions);
        writer.WriteStartObject();
        writer.WriteString("id"u8, IdPrefix + (id ?? Errors.GatewayError.NewRequestId()));
        writer.WriteString("object"u8, "chat.completion"u8);
        writer.WriteNumber("created"u8, created);
        writer.WriteString("model"u8, usage.ServedModel ?? requestedModel);
        writer.WriteStartArray("choices"u8);
        writer.WriteStartObject();
        writer.WriteNumber("index"u8, 0);
        writer.WriteStartObject("message"u8);
        writer.WriteString("role"u8, "assistant"u8);
        if (hasText)
        {
            writer.WriteString("content"u8, text.WrittenSpan);
        }
        else
        {
            writer.WriteNull("content"u8);
        }
        writer.WriteNull("refusal"u8);
        if (tools.Count > 0)
        {
            writer.WriteStartArray("tool_calls"u8);
            foreach (var (toolId, name, input) in tools)
            {
                writer.WriteStartObject();
                writer.WriteString("id"u8, toolId);
                writer.WriteString("type"u8, "function"u8);
                writer.WriteStartObject("function"u8);
                writer.WriteString("name"u8, name);
                // The input object's JSON text, as OpenAI clients parse it from the arguments string.
                writer.WriteString("arguments"u8, input.Equals(default(Range)) ? "{}"u8 : message[input]);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
        writer.WriteNull("logprobs"u8);
        writer.WriteString("finish_reason"u8, FinishReasons.ToOpenAi(usage.StopReason) ?? "stop");
        writer.WriteEndObject();
        writer.WriteEndArray();
        ChatUsageJson.Write(writer, usage);
        writer.WriteEndObject();
        writer.Flush();
        return true;
    }

    /// <summary>One content block; returns whether it was text. Text is appended unescaped to <paramref name="text"/>.</summary>
    private static bool ReadBlock(ReadOnlySpan<byte> message, ref Utf8JsonReader reader, PooledBufferWriter text,
        List<(string Id, string Name, Range Input)> tools)
    {
        var isText = false;
        var isToolUse = false;
        string? id = null, name = null;
        Range input = default, textValue = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                isText = reader.ValueTextEquals("text"u8);
                isToolUse = reader.ValueTextEquals("tool_use"u8);
            }
            else if (reader.ValueTextEquals("text"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    textValue = (int)reader.TokenStartIndex..(int)reader.BytesConsumed;
                }
            }
            else if (reader.ValueTextEquals("id"u8)) { reader.Read(); id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
            else if (reader.ValueTextEquals("name"u8)) { reader.Read(); name = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
            else if (reader.ValueTextEquals("input"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                input = start..(int)reader.BytesConsumed;
            }
            else { reader.Read(); reader.Skip(); }
        }
        if (isText && !textValue.Equals(default(Range)))
        {
            var value = new Utf8JsonReader(message[textValue]);
            value.Read();
            text.Advance(value.CopyString(text.GetSpan(value.ValueSpan.Length)));
        }
        if (isToolUse && id is not null && name is not null)
        {
            tools.Add((id, name, input));
        }
        return isText;
    }
}
