using System.Text.Json;
using Gateway.Front.Buffers;
using static Gateway.Front.OpenAi.Provider.MessagesBodyReader;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>
/// Messages <c>system</c> and <c>messages</c> → Chat messages: a leading system message, then each turn by
/// role (tool results as <c>tool</c> messages, tool uses as <c>tool_calls</c>, text and images as content).
/// </summary>
internal static class MessagesToChatMessages
{
    /// <summary><c>system</c>, a string or text blocks, becomes one leading system message (blocks joined by a blank line).</summary>
    internal static void WriteSystem(ReadOnlySpan<byte> value, Utf8JsonWriter w)
    {
        var reader = new Utf8JsonReader(value, ReaderOptions);
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            w.WriteStartObject();
            w.WriteString("role"u8, "system"u8);
            w.WritePropertyName("content"u8);
            w.WriteRawValue(value, skipInputValidation: true);
            w.WriteEndObject();
            return;
        }
        using var joined = new PooledBufferWriter(value.Length);
        if (JoinRaw(value, default, "\\n\\n"u8, joined) > 0)
        {
            w.WriteStartObject();
            w.WriteString("role"u8, "system"u8);
            w.WritePropertyName("content"u8);
            w.WriteRawValue(joined.WrittenSpan, skipInputValidation: true);
            w.WriteEndObject();
        }
    }

    internal static void Write(ReadOnlySpan<byte> messages, Utf8JsonWriter w)
    {
        var reader = new Utf8JsonReader(messages, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("each message must be an object");
            }
            reader.Skip();
            WriteMessage(messages[start..(int)reader.BytesConsumed], w);
        }
    }

    /// <summary>
    /// One Anthropic message. A user message's <c>tool_result</c> blocks become <c>tool</c> messages
    /// first (OpenAI wants them right after the assistant's <c>tool_calls</c>), then its text and images
    /// one user message; an assistant message's text becomes <c>content</c> and its <c>tool_use</c>
    /// blocks <c>tool_calls</c>.
    /// </summary>
    private static void WriteMessage(ReadOnlySpan<byte> message, Utf8JsonWriter w)
    {
        string? role = null;
        var content = default(Span);
        var reader = new Utf8JsonReader(message, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("role"u8))
            {
                reader.Read();
                role = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                content = new Span(start, (int)reader.BytesConsumed);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (role is null)
        {
            throw new JsonException("each message needs a role");
        }
        var value = content.Present ? content.Of(message) : "\"\""u8;
        if (value[0] == (byte)'"')
        {
            w.WriteStartObject();
            w.WriteString("role"u8, role);
            w.WritePropertyName("content"u8);
            w.WriteRawValue(value, skipInputValidation: true);
            w.WriteEndObject();
            return;
        }
        if (value[0] != (byte)'[')
        {
            throw new JsonException("message content must be a string or a list of blocks");
        }
        if (role == "assistant")
        {
            WriteAssistant(value, w);
        }
        else
        {
            WriteToolResults(value, w);
            WriteUserParts(value, role, w);
        }
    }

    private static void WriteAssistant(ReadOnlySpan<byte> blocks, Utf8JsonWriter w)
    {
        var texts = new List<Span>();
        var tools = new List<Span>();
        foreach (var (block, type) in Blocks(blocks))
        {
            if (type == BlockType.Text)
            {
                texts.Add(block);
            }
            else if (type == BlockType.ToolUse)
            {
                tools.Add(block);
            }
            // thinking / redacted_thinking: no Chat equivalent (and their signatures mean nothing to another model).
        }
        if (texts.Count == 0 && tools.Count == 0)
        {
            w.WriteStartObject();
            w.WriteString("role"u8, "assistant"u8);
            w.WriteString("content"u8, ""u8);
            w.WriteEndObject();
            return;
        }
        w.WriteStartObject();
        w.WriteString("role"u8, "assistant"u8);
        if (texts.Count == 0)
        {
            w.WriteNull("content"u8);
        }
        else if (texts.Count == 1)
        {
            w.WritePropertyName("content"u8);
            w.WriteRawValue(Field(texts[0].Of(blocks), "text"u8), skipInputValidation: true);
        }
        else
        {
            using var joined = new PooledBufferWriter(blocks.Length);
            JoinRaw(blocks, default, default, joined);
            w.WritePropertyName("content"u8);
            w.WriteRawValue(joined.WrittenSpan, skipInputValidation: true);
        }
        if (tools.Count > 0)
        {
            w.WriteStartArray("tool_calls"u8);
            foreach (var tool in tools)
            {
                var use = tool.Of(blocks);
                var (idSpan, nameSpan, inputSpan, _) = Members(use, "id"u8, "name"u8, "input"u8, default);
                w.WriteStartObject();
                w.WritePropertyName("id"u8);
                w.WriteRawValue(idSpan.Of(use), skipInputValidation: true);
                w.WriteString("type"u8, "function"u8);
                w.WriteStartObject("function"u8);
                w.WritePropertyName("name"u8);
                w.WriteRawValue(nameSpan.Of(use), skipInputValidation: true);
                // OpenAI carries tool input as a JSON string; the input's own bytes are that string.
                var input = inputSpan.Of(use);
                w.WriteString("arguments"u8, input.Length == 0 || input.SequenceEqual("null"u8) ? "{}"u8 : input);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteToolResults(ReadOnlySpan<byte> blocks, Utf8JsonWriter w)
    {
        foreach (var (block, type) in Blocks(blocks))
        {
            if (type != BlockType.ToolResult)
            {
                continue;
            }
            var result = block.Of(blocks);
            var (idSpan, contentSpan, errorSpan, _) = Members(result, "tool_use_id"u8, "content"u8, "is_error"u8, default);
            w.WriteStartObject();
            w.WriteString("role"u8, "tool"u8);
            w.WritePropertyName("tool_call_id"u8);
            w.WriteRawValue(idSpan.Of(result), skipInputValidation: true);
            var content = contentSpan.Of(result);
            var isError = errorSpan.Of(result).SequenceEqual("true"u8);
            // Chat tool messages are text: text blocks are joined (images and documents dropped), and with no
            // is_error flag in Chat the model learns of a failure from the text.
            using var joined = new PooledBufferWriter(content.Length + 16);
            JoinRaw(content, isError ? "Error: "u8 : default, "\\n"u8, joined);
            w.WritePropertyName("content"u8);
            w.WriteRawValue(joined.WrittenSpan, skipInputValidation: true);
            w.WriteEndObject();
        }
    }

    private static void WriteUserParts(ReadOnlySpan<byte> blocks, string role, Utf8JsonWriter w)
    {
        var parts = new List<(Span Block, BlockType Type)>();
        foreach (var entry in Blocks(blocks))
        {
            if (entry.Type is BlockType.Text or BlockType.Image)
            {
                parts.Add(entry);
            }
        }
        if (parts.Count == 0)
        {
            return;
        }
        w.WriteStartObject();
        w.WriteString("role"u8, role);
        if (parts.Count == 1 && parts[0].Type == BlockType.Text)
        {
            // Plain string content: what every OpenAI-compatible server accepts.
            w.WritePropertyName("content"u8);
            w.WriteRawValue(Field(parts[0].Block.Of(blocks), "text"u8), skipInputValidation: true);
        }
        else
        {
            w.WriteStartArray("content"u8);
            foreach (var (block, type) in parts)
            {
                if (type == BlockType.Text)
                {
                    w.WriteStartObject();
                    w.WriteString("type"u8, "text"u8);
                    w.WritePropertyName("text"u8);
                    w.WriteRawValue(Field(block.Of(blocks), "text"u8), skipInputValidation: true);
                    w.WriteEndObject();
                }
                else
                {
                    MessagesToChatImage.Write(Field(block.Of(blocks), "source"u8), w);
                }
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }
}
