using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>
/// An OpenAI-compatible error body → Anthropic's <c>{"type":"error","error":{"type","message"}}</c>,
/// the status kept and the type mapped by <see cref="OpenAiErrorTypes.ToAnthropic"/>. Reads OpenAI's
/// <c>{"error":{"message","type","code"}}</c> and the shapes other servers use (<c>{"error":"..."}</c>,
/// <c>{"detail":"..."}</c>, <c>{"message":"..."}</c>); a body that is not JSON becomes a message naming the status.
/// </summary>
public static class ChatToMessagesError
{
    private const int MaxMessageChars = 2000;

    public static void Translate(int status, ReadOnlySpan<byte> body, IBufferWriter<byte> output)
    {
        string? message = null, type = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("error"u8))
                    {
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.String)
                        {
                            message = reader.GetString();
                        }
                        else
                        {
                            ReadError(ref reader, ref message, ref type);
                        }
                    }
                    else if (reader.ValueTextEquals("detail"u8) || reader.ValueTextEquals("message"u8))
                    {
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.String)
                        {
                            message ??= reader.GetString();
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }
        }
        catch (JsonException)
        {
            message = null;
        }
        if (string.IsNullOrWhiteSpace(message))
        {
            var text = Encoding.UTF8.GetString(body.Length > 512 ? body[..512] : body).Trim();
            message = text.Length > 0 && !text.StartsWith('<')
                ? $"The OpenAI-compatible upstream answered {status}: {text}"
                : $"The OpenAI-compatible upstream answered {status}.";
        }
        WriteError(output, OpenAiErrorTypes.ToAnthropic(status, type), message.Length > MaxMessageChars ? message[..MaxMessageChars] : message);
    }

    /// <summary>OpenAI's <c>error</c> object: <c>type</c>, else <c>code</c> (e.g. insufficient_quota comes as both).</summary>
    private static void ReadError(ref Utf8JsonReader reader, ref string? message, ref string? type)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        string? code = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("message"u8)) { reader.Read(); message = reader.TokenType == JsonTokenType.String ? reader.GetString() : message; }
            else if (reader.ValueTextEquals("type"u8)) { reader.Read(); type = reader.TokenType == JsonTokenType.String ? reader.GetString() : type; }
            else if (reader.ValueTextEquals("code"u8)) { reader.Read(); code = reader.TokenType == JsonTokenType.String ? reader.GetString() : code; }
            else { reader.Read(); reader.Skip(); }
        }
        if (code == OpenAiErrorTypes.InsufficientQuota)
        {
            type = code;
        }
        type ??= code;
    }

    /// <summary>Anthropic's error shape (the SSE <c>error</c> event's data is the same object).</summary>
    public static void WriteError(IBufferWriter<byte> output, string type, string message)
    {
        using var w = new Utf8JsonWriter(output, OpenAiJson.WriterOptions);
        w.WriteStartObject();
        w.WriteString("type"u8, "error"u8);
        w.WriteStartObject("error"u8);
        w.WriteString("type"u8, type);
        w.WriteString("message"u8, message);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
