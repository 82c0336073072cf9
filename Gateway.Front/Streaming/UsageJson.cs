using System.Text.Json;

namespace Gateway.Front.Streaming;

/// <summary>Reads the usage-bearing fields shared by SSE event payloads and whole Message bodies.</summary>
internal static class UsageJson
{
    /// <summary>Reads a <c>usage</c> object. Values overwrite: Anthropic's usage is cumulative, never a delta.</summary>
    public static void ReadUsage(ref Utf8JsonReader reader, ObservedUsage usage)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("input_tokens"u8)) { reader.Read(); if (TryLong(ref reader, out var v)) { usage.InputTokens = v; } }
            else if (reader.ValueTextEquals("output_tokens"u8)) { reader.Read(); if (TryLong(ref reader, out var v)) { usage.OutputTokens = v; } }
            else if (reader.ValueTextEquals("cache_creation_input_tokens"u8)) { reader.Read(); if (TryLong(ref reader, out var v)) { usage.CacheCreationInputTokens = v; } }
            else if (reader.ValueTextEquals("cache_read_input_tokens"u8)) { reader.Read(); if (TryLong(ref reader, out var v)) { usage.CacheReadInputTokens = v; } }
            else if (reader.ValueTextEquals("cache_creation"u8)) { reader.Read(); ReadCacheCreation(ref reader, usage); }
            else { reader.Read(); reader.Skip(); }
        }
    }

    /// <summary>Reads <c>usage.cache_creation</c>: how many of the cache writes were for an hour.</summary>
    private static void ReadCacheCreation(ref Utf8JsonReader reader, ObservedUsage usage)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("ephemeral_1h_input_tokens"u8)) { reader.Read(); if (TryLong(ref reader, out var v)) { usage.CacheCreation1hInputTokens = v; } }
            else { reader.Read(); reader.Skip(); }
        }
    }

    /// <summary>Reads a Message object (<c>message_start.message</c> or a non-streaming body).</summary>
    public static void ReadMessage(ref Utf8JsonReader reader, ObservedUsage usage)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("usage"u8)) { reader.Read(); ReadUsage(ref reader, usage); }
            else if (reader.ValueTextEquals("model"u8)) { reader.Read(); if (reader.TokenType == JsonTokenType.String) { usage.ServedModel = StringOf(ref reader); } }
            else if (reader.ValueTextEquals("stop_reason"u8)) { reader.Read(); if (reader.TokenType == JsonTokenType.String) { usage.StopReason = StringOf(ref reader); } }
            else if (reader.ValueTextEquals("content"u8)) { reader.Read(); ReadContentArray(ref reader, usage); }
            else if (reader.ValueTextEquals("error"u8)) { reader.Read(); usage.ErrorType = ReadErrorType(ref reader); }
            else { reader.Read(); reader.Skip(); }
        }
    }

    /// <summary>Collects tool names from a <c>content</c> array of blocks.</summary>
    private static void ReadContentArray(ref Utf8JsonReader reader, ObservedUsage usage)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            ReadContentBlock(ref reader, usage);
        }
    }

    /// <summary>Reads one content block; a <c>tool_use</c> block's name is recorded.</summary>
    public static void ReadContentBlock(ref Utf8JsonReader reader, ObservedUsage usage)
    {
        string? type = null;
        string? name = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8)) { reader.Read(); type = StringOf(ref reader); }
            else if (reader.ValueTextEquals("name"u8)) { reader.Read(); name = StringOf(ref reader); }
            else { reader.Read(); reader.Skip(); }
        }
        if (name is not null && type is "tool_use" or "server_tool_use")
        {
            usage.AddToolCall(name);
        }
    }

    public static string? ReadErrorType(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }
        string? type = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8)) { reader.Read(); type = StringOf(ref reader); }
            else { reader.Read(); reader.Skip(); }
        }
        return type;
    }

    /// <summary>
    /// The current string token, or null when it is none. A lone surrogate escape ("\ud800", e.g. in a tool
    /// name a tenant defined and the model echoed) cannot be decoded: it reads as its escaped JSON text
    /// (printable, so it can be stored) instead of throwing, which would lose the whole event's (or
    /// body's) usage and charge nothing.
    /// </summary>
    public static string? StringOf(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return null;
        }
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan);
        }
    }

    private static bool TryLong(ref Utf8JsonReader reader, out long value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out value);
    }
}
