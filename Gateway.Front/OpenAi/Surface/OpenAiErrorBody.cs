using System.Buffers;
using System.Text.Json;
using Gateway.Front.Buffers;
using Gateway.Front.Errors;

namespace Gateway.Front.OpenAi.Surface;

/// <summary>
/// OpenAI's error body, <c>{"error":{"message","type","param","code"}}</c>: written for the surface's own
/// 400s, and made from Anthropic's <c>{"type":"error","error":{"type","message"}}</c> for everything else
/// (upstream errors, replayed held failures, the gateway's own 401/413/429/503). The Anthropic type is kept
/// in <c>code</c>, so nothing the upstream said is lost; the HTTP status is never changed.
/// </summary>
public static class OpenAiErrorBody
{
    /// <summary>An error body from a message the upstream did not send as JSON is cut to this many bytes.</summary>
    private const int MaxPlainMessage = 1024;

    public static void Write(IBufferWriter<byte> output, string message, string type, string? param, string? code)
    {
        using var writer = new Utf8JsonWriter(output, OpenAiJson.SurfaceWriterOptions);
        WriteObject(writer, message, type, param, code);
    }

    /// <summary>Writes the <c>{"error":{...}}</c> object with an existing writer (the SSE translation's).</summary>
    internal static void WriteObject(Utf8JsonWriter writer, string message, string type, string? param, string? code)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error"u8);
        writer.WriteString("message"u8, message);
        writer.WriteString("type"u8, type);
        writer.WriteString("param"u8, param);
        writer.WriteString("code"u8, code);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>
    /// An error response body of any shape → OpenAI's. A body already in OpenAI's shape (an
    /// OpenAI-compatible upstream's, or the surface's own) is copied as it is.
    /// </summary>
    public static void Translate(ReadOnlySpan<byte> body, int status, IBufferWriter<byte> output)
    {
        if (TryReadAnthropic(body, out var anthropicType, out var message, out var alreadyOpenAi))
        {
            if (alreadyOpenAi)
            {
                output.Write(body);
                return;
            }
        }
        else
        {
            var text = System.Text.Encoding.UTF8.GetString(body[..Math.Min(body.Length, MaxPlainMessage)]).Trim();
            message = text.Length > 0 ? text : null;
        }
        anthropicType ??= OpenAiErrorTypes.ToAnthropic(status, null);
        Write(output, message ?? $"The gateway answered with HTTP {status}.", OpenAiErrorTypes.FromAnthropic(anthropicType), null, anthropicType);
    }

    /// <summary>Reads Anthropic's error type and message; false when the body is not a JSON object.</summary>
    internal static bool TryReadAnthropic(ReadOnlySpan<byte> body, out string? type, out string? message, out bool alreadyOpenAi)
    {
        type = null;
        message = null;
        alreadyOpenAi = false;
        var sawErrorType = false;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            var sawError = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    sawErrorType = reader.ValueTextEquals("error"u8);
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        continue;
                    }
                    sawError = true;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("type"u8)) { reader.Read(); type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
                        else if (reader.ValueTextEquals("message"u8)) { reader.Read(); message = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
                        else { reader.Read(); reader.Skip(); }
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            // OpenAI's shape has the error object but no top-level "type":"error".
            alreadyOpenAi = sawError && !sawErrorType;
            if (alreadyOpenAi)
            {
                type = null;
            }
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Writes the surface's own error response (a request it could not translate), status and all.</summary>
    public static async Task WriteResponseAsync(HttpContext context, int status, string message, string type, string? param)
    {
        var response = context.Response;
        response.Clear();
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.Headers[GatewayError.RequestIdHeader] = GatewayError.NewRequestId();
        using var buffer = new PooledBufferWriter(256);
        Write(buffer, message, type, param, null);
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory);
    }
}
