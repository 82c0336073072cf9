using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.Front.Clouds;

/// <summary>
/// The Vertex AI request a client (Claude Code with <c>CLAUDE_CODE_USE_VERTEX=1</c>) sends the gateway, turned into
/// the Messages request it stands for: <c>anthropic_version</c> out, <c>model</c> in (from the URL, or for
/// count-tokens from the body, mapped from Vertex's id), any body <c>anthropic_beta</c> handed back for the
/// <c>anthropic-beta</c> header. One top-level reader pass; every other member's value is copied as its raw bytes.
/// </summary>
public static class VertexIngressBody
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = Envelope.EnvelopeReader.MaxDepth };

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        SkipValidation = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The <c>model</c> string of a count-tokens body (a Vertex id), or null.</summary>
    public static string? ModelOf(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isModel = reader.ValueTextEquals("model"u8);
                reader.Read();
                if (isModel)
                {
                    return reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length <= VertexModelIds.MaxLength * 6 ? reader.GetString() : null;
                }
                reader.Skip();
            }
            return null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes the Messages body; false with a message when the body is not a JSON object or its
    /// <c>anthropic_beta</c> is not an array of strings. <paramref name="betas"/>: the body's betas (usually none).
    /// </summary>
    public static bool TryWrite(ReadOnlySpan<byte> body, string model, IBufferWriter<byte> output, out List<string> betas, out string? error)
    {
        betas = [];
        error = null;
        try
        {
            var reader = new Utf8JsonReader(body, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "The request body must be a JSON object.";
                return false;
            }
            using var writer = new Utf8JsonWriter(output, WriterOptions);
            writer.WriteStartObject();
            writer.WriteString("model"u8, model);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8) || reader.ValueTextEquals("anthropic_version"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                if (reader.ValueTextEquals("anthropic_beta"u8))
                {
                    reader.Read();
                    if (!ReadBetas(ref reader, betas))
                    {
                        error = "anthropic_beta: Input should be a valid array of strings";
                        return false;
                    }
                    continue;
                }
                var nameStart = (int)reader.TokenStartIndex;
                reader.Read();
                var valueStart = (int)reader.TokenStartIndex;
                reader.Skip();
                // The name as sent (escapes included) and the value as sent: raw bytes both.
                var name = body[nameStart..valueStart].TrimEnd(" \t\r\n"u8).TrimEnd(":"u8).TrimEnd(" \t\r\n"u8);
                writer.WritePropertyName(name[1..^1] is var inner && inner.IndexOf((byte)'\\') < 0 ? inner : Unescaped(inner));
                writer.WriteRawValue(body[valueStart..(int)reader.BytesConsumed], skipInputValidation: true);
            }
            writer.WriteEndObject();
            writer.Flush();
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            error = "The request body is not valid JSON.";
            return false;
        }
    }

    private static byte[] Unescaped(ReadOnlySpan<byte> escaped)
    {
        var quoted = new byte[escaped.Length + 2];
        quoted[0] = (byte)'"';
        escaped.CopyTo(quoted.AsSpan(1));
        quoted[^1] = (byte)'"';
        return System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Deserialize<string>(quoted)!);
    }

    private static bool ReadBetas(ref Utf8JsonReader reader, List<string> betas)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String || betas.Count >= CloudRequestBody.MaxBetas)
            {
                return false;
            }
            var beta = reader.GetString()!;
            if (!betas.Contains(beta))
            {
                betas.Add(beta);
            }
        }
        return true;
    }
}
