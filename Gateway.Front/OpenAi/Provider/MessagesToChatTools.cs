using System.Text.Json;
using static Gateway.Front.OpenAi.Provider.MessagesBodyReader;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>Messages <c>tools</c> and <c>tool_choice</c> → their Chat forms.</summary>
internal static class MessagesToChatTools
{
    /// <summary>Client tools become functions; server tools (a <c>type</c> other than <c>custom</c>) have no schema to send and are dropped.</summary>
    internal static bool WriteTools(ReadOnlySpan<byte> tools, Utf8JsonWriter w)
    {
        if (tools[0] != (byte)'[')
        {
            return false;
        }
        var any = false;
        var reader = new Utf8JsonReader(tools, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var tool = tools[start..(int)reader.BytesConsumed];
            if (tool[0] != (byte)'{')
            {
                continue;
            }
            var (typeSpan, nameSpan, descriptionSpan, schemaSpan) = Members(tool, "type"u8, "name"u8, "description"u8, "input_schema"u8);
            var type = typeSpan.Of(tool);
            var name = nameSpan.Of(tool);
            if ((type.Length > 0 && !type.SequenceEqual("\"custom\""u8)) || name.Length == 0)
            {
                continue;
            }
            if (!any)
            {
                w.WriteStartArray("tools"u8);
                any = true;
            }
            w.WriteStartObject();
            w.WriteString("type"u8, "function"u8);
            w.WriteStartObject("function"u8);
            w.WritePropertyName("name"u8);
            w.WriteRawValue(name, skipInputValidation: true);
            var description = descriptionSpan.Of(tool);
            if (description.Length > 0 && description[0] == (byte)'"')
            {
                w.WritePropertyName("description"u8);
                w.WriteRawValue(description, skipInputValidation: true);
            }
            var schema = schemaSpan.Of(tool);
            w.WritePropertyName("parameters"u8);
            w.WriteRawValue(schema.Length > 0 ? schema : """{"type":"object"}"""u8, skipInputValidation: true);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        if (any)
        {
            w.WriteEndArray();
        }
        return any;
    }

    /// <summary><c>auto</c>→"auto", <c>any</c>→"required", <c>tool</c>→the named function, <c>none</c>→"none".</summary>
    internal static void WriteToolChoice(ReadOnlySpan<byte> choice, Utf8JsonWriter w)
    {
        if (choice[0] != (byte)'{')
        {
            return;
        }
        var type = Field(choice, "type"u8);
        if (type.SequenceEqual("\"auto\""u8))
        {
            w.WriteString("tool_choice"u8, "auto"u8);
        }
        else if (type.SequenceEqual("\"any\""u8))
        {
            w.WriteString("tool_choice"u8, "required"u8);
        }
        else if (type.SequenceEqual("\"none\""u8))
        {
            w.WriteString("tool_choice"u8, "none"u8);
        }
        else if (type.SequenceEqual("\"tool\""u8) && Field(choice, "name"u8) is { Length: > 0 } name)
        {
            w.WriteStartObject("tool_choice"u8);
            w.WriteString("type"u8, "function"u8);
            w.WriteStartObject("function"u8);
            w.WritePropertyName("name"u8);
            w.WriteRawValue(name, skipInputValidation: true);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        if (Field(choice, "disable_parallel_tool_use"u8).SequenceEqual("true"u8))
        {
            w.WriteBoolean("parallel_tool_calls"u8, false);
        }
    }
}
