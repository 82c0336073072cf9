using System.Text.Json;
using static Gateway.Front.OpenAi.Surface.ChatRequestReader;

namespace Gateway.Front.OpenAi.Surface;

/// <summary>Chat Completions sampling parameters → Messages: the ranges differ (temperature), the names differ (stop).</summary>
internal static class ChatToMessagesSampling
{
    /// <summary>temperature (capped at <see cref="ChatToMessagesRequest.MaxTemperature"/>), top_p, top_k and stop, in that order.</summary>
    internal static void Write(ReadOnlySpan<byte> json, double? temperature, double? topP, Range topK, Range stop, Utf8JsonWriter writer)
    {
        if (temperature is { } t)
        {
            writer.WriteNumber("temperature"u8, Math.Min(t, ChatToMessagesRequest.MaxTemperature));
        }
        if (topP is { } p)
        {
            writer.WriteNumber("top_p"u8, p);
        }
        if (!topK.Equals(default(Range)))
        {
            writer.WritePropertyName("top_k"u8);
            writer.WriteRawValue(json[topK], skipInputValidation: true);
        }
        if (!stop.Equals(default(Range)))
        {
            WriteStop(json[stop], writer);
        }
    }

    /// <summary><c>stop</c> (a string or an array of strings) → <c>stop_sequences</c>.</summary>
    private static void WriteStop(ReadOnlySpan<byte> stop, Utf8JsonWriter writer)
    {
        if (stop[0] == (byte)'n')
        {
            return;
        }
        if (stop[0] == (byte)'"')
        {
            writer.WriteStartArray("stop_sequences"u8);
            writer.WriteRawValue(stop, skipInputValidation: true);
            writer.WriteEndArray();
            return;
        }
        if (stop[0] != (byte)'[')
        {
            throw new InvalidChatRequestException("Invalid type for 'stop': expected a string or an array of strings.", "stop");
        }
        var reader = new Utf8JsonReader(stop, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new InvalidChatRequestException("Invalid type for 'stop': expected a string or an array of strings.", "stop");
            }
        }
        writer.WritePropertyName("stop_sequences"u8);
        writer.WriteRawValue(stop, skipInputValidation: true);
    }
}
