using System.Text.Json;
using Gateway.Front.Buffers;
using static Gateway.Front.OpenAi.Surface.ChatRequestReader;

namespace Gateway.Front.OpenAi.Surface;

/// <summary>
/// Chat Completions <c>messages</c> → Messages <c>messages</c> and <c>system</c>, by role: system and developer
/// messages become the top-level system prompt, tool messages <c>tool_result</c> blocks of a user turn.
/// </summary>
internal static class ChatToMessagesMessages
{
    internal static void Write(ReadOnlySpan<byte> array, Utf8JsonWriter writer)
    {
        using var system = new PooledBufferWriter(256);
        using var systemWriter = new Utf8JsonWriter(system, OpenAiJson.SurfaceWriterOptions);
        systemWriter.WriteStartArray();
        var turns = new MessagesTurnWriter(writer);
        writer.WriteStartArray("messages"u8);

        var reader = new Utf8JsonReader(array, ReaderOptions);
        reader.Read();
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                var at = ((FieldPath)"messages").At(index);
                throw new InvalidChatRequestException($"Invalid type for '{at}': expected an object.", at.ToString());
            }
            reader.Skip();
            WriteMessage(array[start..(int)reader.BytesConsumed], index, turns, systemWriter);
            index++;
        }
        turns.Close();
        writer.WriteEndArray();
        if (!turns.Any)
        {
            throw new InvalidChatRequestException("'messages' must contain at least one user or assistant message.", "messages");
        }

        systemWriter.WriteEndArray();
        systemWriter.Flush();
        if (system.WrittenCount > 2)
        {
            writer.WritePropertyName("system"u8);
            writer.WriteRawValue(system.WrittenSpan, skipInputValidation: true);
        }
    }

    private static void WriteMessage(ReadOnlySpan<byte> message, int index, MessagesTurnWriter turns, Utf8JsonWriter system)
    {
        var path = ((FieldPath)"messages").At(index);
        var reader = new Utf8JsonReader(message, ReaderOptions);
        reader.Read();
        Range role = default, content = default, toolCalls = default, toolCallId = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("role"u8)) { role = StringValue(ref reader, path.Field(".role")); }
            else if (reader.ValueTextEquals("content"u8)) { content = Value(ref reader, null, path.Field(".content"), null); }
            else if (reader.ValueTextEquals("tool_calls"u8)) { toolCalls = Value(ref reader, JsonTokenType.StartArray, path.Field(".tool_calls"), "an array"); }
            else if (reader.ValueTextEquals("tool_call_id"u8)) { toolCallId = StringValue(ref reader, path.Field(".tool_call_id")); }
            else { reader.Read(); reader.Skip(); }
        }
        if (role.Equals(default(Range)))
        {
            throw new InvalidChatRequestException($"Missing required parameter: '{path.Field(".role")}'.", path.Field(".role").ToString());
        }
        var roleValue = message[role][1..^1];
        var contentValue = content.Equals(default(Range)) ? default : message[content];
        if (roleValue.SequenceEqual("system"u8) || roleValue.SequenceEqual("developer"u8))
        {
            // Messages has one top-level system prompt: every system/developer message becomes a block of it, in order.
            ChatToMessagesContent.WriteTextBlocks(contentValue, system, path.Field(".content"), allowImages: false);
        }
        else if (roleValue.SequenceEqual("user"u8))
        {
            ChatToMessagesContent.WriteContent(contentValue, turns, "user", path.Field(".content"), allowImages: true);
        }
        else if (roleValue.SequenceEqual("assistant"u8))
        {
            ChatToMessagesContent.WriteContent(contentValue, turns, "assistant", path.Field(".content"), allowImages: false);
            if (!toolCalls.Equals(default(Range)))
            {
                ChatToMessagesToolCalls.Write(message[toolCalls], turns, path.Field(".tool_calls"));
            }
        }
        else if (roleValue.SequenceEqual("tool"u8))
        {
            if (toolCallId.Equals(default(Range)))
            {
                throw new InvalidChatRequestException($"Missing required parameter: '{path.Field(".tool_call_id")}'.", path.Field(".tool_call_id").ToString());
            }
            // Tool results are user content in Messages; consecutive ones share one user turn.
            var writer = turns.Block("user");
            writer.WriteStartObject();
            writer.WriteString("type"u8, "tool_result"u8);
            writer.WritePropertyName("tool_use_id"u8);
            writer.WriteRawValue(message[toolCallId], skipInputValidation: true);
            if (!contentValue.IsEmpty && contentValue[0] == (byte)'"')
            {
                writer.WritePropertyName("content"u8);
                writer.WriteRawValue(contentValue, skipInputValidation: true);
            }
            else if (!contentValue.IsEmpty && contentValue[0] == (byte)'[')
            {
                writer.WritePropertyName("content"u8);
                writer.WriteStartArray();
                ChatToMessagesContent.WriteTextBlocks(contentValue, writer, path.Field(".content"), allowImages: false);
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        else if (roleValue.SequenceEqual("function"u8))
        {
            throw new InvalidChatRequestException($"The 'function' role is deprecated and not supported by this gateway; use 'tool' messages ('{path.Field(".role")}').", path.Field(".role").ToString());
        }
        else
        {
            throw new InvalidChatRequestException(
                $"Invalid value for '{path.Field(".role")}': '{Utf8(roleValue)}'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.", path.Field(".role").ToString());
        }
    }
}
