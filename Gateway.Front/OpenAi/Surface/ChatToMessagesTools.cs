using System.Text.Json;
using static Gateway.Front.OpenAi.Surface.ChatRequestReader;

namespace Gateway.Front.OpenAi.Surface;

/// <summary><c>tools</c> and <c>tool_choice</c> (with <c>parallel_tool_calls</c>) → their Messages forms.</summary>
internal static class ChatToMessagesTools
{
    /// <summary>Function tools become Messages tools; returns whether any were written.</summary>
    internal static bool WriteTools(ReadOnlySpan<byte> array, Utf8JsonWriter writer)
    {
        var reader = new Utf8JsonReader(array, ReaderOptions);
        reader.Read();
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var path = ((FieldPath)"tools").At(index);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InvalidChatRequestException($"Invalid type for '{path}': expected an object.", path.ToString());
            }
            Range name = default, description = default, parameters = default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    RequireFunctionType(ref reader, path, "Tool");
                }
                else if (reader.ValueTextEquals("function"u8))
                {
                    RequireObject(ref reader, path.Field(".function"));
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("name"u8)) { name = StringValue(ref reader, path.Field(".function.name")); }
                        else if (reader.ValueTextEquals("description"u8)) { description = StringValue(ref reader, path.Field(".function.description")); }
                        else if (reader.ValueTextEquals("parameters"u8)) { parameters = Value(ref reader, JsonTokenType.StartObject, path.Field(".function.parameters"), "an object"); }
                        // strict: Messages has no per-tool strict mode here; ignored as Anthropic's layer ignores it.
                        else { reader.Read(); reader.Skip(); }
                    }
                }
                else { reader.Read(); reader.Skip(); }
            }
            if (name.Equals(default(Range)))
            {
                throw new InvalidChatRequestException($"Missing required parameter: '{path.Field(".function.name")}'.", path.Field(".function.name").ToString());
            }
            if (index == 0)
            {
                writer.WriteStartArray("tools"u8);
            }
            writer.WriteStartObject();
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(array[name], skipInputValidation: true);
            if (!description.Equals(default(Range)))
            {
                writer.WritePropertyName("description"u8);
                writer.WriteRawValue(array[description], skipInputValidation: true);
            }
            writer.WritePropertyName("input_schema"u8);
            if (parameters.Equals(default(Range)))
            {
                // OpenAI allows a function without parameters; Messages requires a schema.
                writer.WriteRawValue("""{"type":"object","properties":{}}"""u8, skipInputValidation: true);
            }
            else
            {
                writer.WriteRawValue(array[parameters], skipInputValidation: true);
            }
            writer.WriteEndObject();
            index++;
        }
        if (index > 0)
        {
            writer.WriteEndArray();
        }
        return index > 0;
    }

    /// <summary>auto/none/required/{function:{name}} → auto/none/any/tool; parallel_tool_calls:false → disable_parallel_tool_use.</summary>
    internal static void WriteToolChoice(ReadOnlySpan<byte> choice, bool disableParallel, Utf8JsonWriter writer)
    {
        ReadOnlySpan<byte> type = "auto"u8;
        ReadOnlySpan<byte> name = default;
        if (!choice.IsEmpty && choice[0] == (byte)'"')
        {
            var value = choice[1..^1];
            if (value.SequenceEqual("none"u8)) { type = "none"u8; }
            else if (value.SequenceEqual("auto"u8)) { type = "auto"u8; }
            else if (value.SequenceEqual("required"u8)) { type = "any"u8; }
            else
            {
                throw new InvalidChatRequestException($"Invalid value for 'tool_choice': '{Utf8(value)}'. Supported values are: 'none', 'auto' and 'required'.", "tool_choice");
            }
        }
        else if (!choice.IsEmpty && choice[0] == (byte)'{')
        {
            var reader = new Utf8JsonReader(choice, ReaderOptions);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    if (!reader.ValueTextEquals("function"u8))
                    {
                        throw new InvalidChatRequestException($"tool_choice type '{reader.GetString()}' is not supported; use 'function'.", "tool_choice.type");
                    }
                }
                else if (reader.ValueTextEquals("function"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw new InvalidChatRequestException("Invalid type for 'tool_choice.function': expected an object.", "tool_choice.function");
                    }
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("name"u8)) { var range = StringValue(ref reader, "tool_choice.function.name"); name = choice[range]; }
                        else { reader.Read(); reader.Skip(); }
                    }
                }
                else { reader.Read(); reader.Skip(); }
            }
            if (name.IsEmpty)
            {
                throw new InvalidChatRequestException("Missing required parameter: 'tool_choice.function.name'.", "tool_choice.function.name");
            }
            type = "tool"u8;
        }
        else if (!choice.IsEmpty && choice[0] != (byte)'n')
        {
            throw new InvalidChatRequestException("Invalid type for 'tool_choice': expected a string or an object.", "tool_choice");
        }
        else if (!disableParallel)
        {
            return; // absent or null: Messages' default is auto.
        }

        writer.WriteStartObject("tool_choice"u8);
        writer.WriteString("type"u8, type);
        if (!name.IsEmpty)
        {
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(name, skipInputValidation: true);
        }
        if (disableParallel && !type.SequenceEqual("none"u8))
        {
            writer.WriteBoolean("disable_parallel_tool_use"u8, true);
        }
        writer.WriteEndObject();
    }
}
