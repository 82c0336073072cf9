using System.Text.Json;

namespace Gateway.FakeUpstream.OpenAi;

/// <summary>
/// The fake's rule for answering with tool calls, the Chat twin of <see cref="ToolChoice"/>: the request
/// offers tools, and <c>tool_choice</c> is "required" or names a function, or the last user message
/// mentions "tool". A last message from a tool gets text, so agent loops end. The word "parallel" in
/// that user message asks for a call to each of the first two tools at once.
/// </summary>
internal static class ChatToolChoice
{
    public static JsonElement[] Choose(JsonElement root)
    {
        if (!root.TryGetProperty("tools"u8, out var tools) || tools.ValueKind != JsonValueKind.Array || tools.GetArrayLength() == 0)
        {
            return [];
        }
        var functions = tools.EnumerateArray().Select(t => t.GetProperty("function"u8)).ToArray();
        var lastUser = LastMessage(root);
        if (lastUser is { } last && last.GetProperty("role"u8).ValueEquals("tool"u8))
        {
            return [];
        }
        var text = lastUser is { } message ? TextOf(message) : "";
        var count = text.Contains("parallel", StringComparison.OrdinalIgnoreCase) ? Math.Min(2, functions.Length) : 1;
        if (root.TryGetProperty("tool_choice"u8, out var choice))
        {
            if (choice.ValueKind == JsonValueKind.String)
            {
                if (choice.ValueEquals("none"u8))
                {
                    return [];
                }

                if (choice.ValueEquals("required"u8))
                {
                    return functions[..count];
                }
            }
            else if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("function"u8, out var named)
                && named.TryGetProperty("name"u8, out var name))
            {
                return functions.Where(f => f.GetProperty("name"u8).GetString() == name.GetString()).Take(1).ToArray();
            }
        }
        return text.Contains("tool", StringComparison.OrdinalIgnoreCase) ? functions[..count] : [];
    }

    private static JsonElement? LastMessage(JsonElement root)
    {
        JsonElement? last = null;
        foreach (var message in root.GetProperty("messages"u8).EnumerateArray())
        {
            if (!message.GetProperty("role"u8).ValueEquals("system"u8))
            {
                last = message;
            }
        }
        return last;
    }

    private static string TextOf(JsonElement message)
    {
        if (!message.TryGetProperty("content"u8, out var content))
        {
            return "";
        }
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }
        return content.ValueKind == JsonValueKind.Array
            ? string.Join("\n", content.EnumerateArray().Where(p => p.TryGetProperty("text"u8, out _)).Select(p => p.GetProperty("text"u8).GetString()))
            : "";
    }

    /// <summary>Deterministic arguments for a function: each required property gets a value of its type.</summary>
    public static string ArgumentsFor(JsonElement function)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        using (var json = new Utf8JsonWriter(buffer, FakeJson.Options))
        {
            json.WriteStartObject();
            if (function.TryGetProperty("parameters"u8, out var schema) && schema.ValueKind == JsonValueKind.Object
                && schema.TryGetProperty("required"u8, out var required) && required.ValueKind == JsonValueKind.Array)
            {
                var properties = schema.TryGetProperty("properties"u8, out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
                foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
                {
                    var type = properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(name, out var prop)
                        && prop.TryGetProperty("type"u8, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : "string";
                    switch (type)
                    {
                        case "integer" or "number": json.WriteNumber(name, 1); break;
                        case "boolean": json.WriteBoolean(name, true); break;
                        case "array": json.WriteStartArray(name); json.WriteEndArray(); break;
                        case "object": json.WriteStartObject(name); json.WriteEndObject(); break;
                        default: json.WriteString(name, "fake-" + name); break;
                    }
                }
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
