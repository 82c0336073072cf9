using System.Buffers;
using System.Text.Json;
using static Gateway.Front.OpenAi.Surface.ChatRequestReader;

namespace Gateway.Front.OpenAi.Surface;

/// <summary>An assistant message's <c>tool_calls</c> → <c>tool_use</c> blocks of its turn.</summary>
internal static class ChatToMessagesToolCalls
{
    /// <summary>Assistant <c>tool_calls</c> become <c>tool_use</c> blocks; arguments (a JSON string) become the input object.</summary>
    internal static void Write(ReadOnlySpan<byte> array, MessagesTurnWriter turns, FieldPath path)
    {
        var reader = new Utf8JsonReader(array, ReaderOptions);
        reader.Read();
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var call = path.At(index);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InvalidChatRequestException($"Invalid type for '{call}': expected an object.", call.ToString());
            }
            Range id = default, name = default, arguments = default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8)) { id = StringValue(ref reader, call.Field(".id")); }
                else if (reader.ValueTextEquals("type"u8))
                {
                    RequireFunctionType(ref reader, call, "Tool call");
                }
                else if (reader.ValueTextEquals("function"u8))
                {
                    RequireObject(ref reader, call.Field(".function"));
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("name"u8)) { name = StringValue(ref reader, call.Field(".function.name")); }
                        else if (reader.ValueTextEquals("arguments"u8)) { arguments = StringValue(ref reader, call.Field(".function.arguments")); }
                        else { reader.Read(); reader.Skip(); }
                    }
                }
                else { reader.Read(); reader.Skip(); }
            }
            if (id.Equals(default(Range)))
            {
                throw new InvalidChatRequestException($"Missing required parameter: '{call.Field(".id")}'.", call.Field(".id").ToString());
            }
            if (name.Equals(default(Range)))
            {
                throw new InvalidChatRequestException($"Missing required parameter: '{call.Field(".function.name")}'.", call.Field(".function.name").ToString());
            }
            var writer = turns.Block("assistant");
            writer.WriteStartObject();
            writer.WriteString("type"u8, "tool_use"u8);
            writer.WritePropertyName("id"u8);
            writer.WriteRawValue(array[id], skipInputValidation: true);
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(array[name], skipInputValidation: true);
            writer.WritePropertyName("input"u8);
            WriteArguments(arguments.Equals(default(Range)) ? "\"\""u8 : array[arguments], writer, call.Field(".function.arguments"));
            writer.WriteEndObject();
            index++;
        }
    }


    /// <summary>The arguments string must hold a JSON object (empty means no arguments): Messages wants the object itself.</summary>
    private static void WriteArguments(ReadOnlySpan<byte> rawString, Utf8JsonWriter writer, FieldPath path)
    {
        var reader = new Utf8JsonReader(rawString);
        reader.Read();
        byte[]? rented = null;
        try
        {
            var text = Unescaped(ref reader, ref rented).Trim(" \t\r\n"u8);
            if (text.IsEmpty)
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
                return;
            }
            try
            {
                var inner = new Utf8JsonReader(text, ReaderOptions);
                if (!inner.Read() || inner.TokenType != JsonTokenType.StartObject)
                {
                    throw new InvalidChatRequestException($"'{path}' must be a JSON object encoded as a string.", path.ToString());
                }
                inner.Skip();
                if (inner.Read())
                {
                    throw new InvalidChatRequestException($"'{path}' has content after the JSON object.", path.ToString());
                }
            }
            catch (JsonException e)
            {
                throw new InvalidChatRequestException($"'{path}' is not valid JSON: {Trim(e.Message)}", path.ToString());
            }
            writer.WriteRawValue(text, skipInputValidation: true);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
