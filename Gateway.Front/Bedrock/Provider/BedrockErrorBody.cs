using System.Buffers;
using System.Text.Json;

namespace Gateway.Front.Bedrock.Provider;

/// <summary>
/// Bedrock's error body (<c>{"message":"..."}</c>, sometimes <c>{"Message":"..."}</c>) in Anthropic's shape:
/// <c>{"type":"error","error":{"type":"...","message":"..."}}</c>, the message kept word for word.
/// </summary>
public static class BedrockErrorBody
{
    /// <summary>Bedrock's wording kept readable (an apostrophe stays one), as Anthropic writes its own.</summary>
    internal static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Translate(string type, ReadOnlySpan<byte> body, IBufferWriter<byte> output)
    {
        var message = ReadMessage(body) ?? "The Bedrock API returned an error.";
        using var json = new Utf8JsonWriter(output, Options);
        json.WriteStartObject();
        json.WriteString("type"u8, "error"u8);
        json.WriteStartObject("error"u8);
        json.WriteString("type"u8, type);
        json.WriteString("message"u8, message);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static string? ReadMessage(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isMessage = reader.ValueTextEquals("message"u8) || reader.ValueTextEquals("Message"u8);
                reader.Read();
                if (isMessage && reader.TokenType == JsonTokenType.String)
                {
                    var text = reader.GetString();
                    return text is { Length: > 4096 } ? text[..4096] : text;
                }
                reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
        }
        return null;
    }
}
