using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.Front.Bedrock.Surface;

/// <summary>
/// A Bedrock InvokeModel body (what Claude Code sends with <c>CLAUDE_CODE_USE_BEDROCK=1</c>) as a Messages body:
/// <c>model</c> and <c>stream</c> put back from the path, <c>anthropic_version</c> dropped (the Messages API takes
/// it as a header), the body's <c>anthropic_beta</c> taken out for the <c>anthropic-beta</c> header. One top-level
/// <see cref="Utf8JsonReader"/> pass; every other member is copied as its raw bytes.
/// </summary>
public static class BedrockToMessagesRequest
{
    /// <summary>
    /// Betas taken from a body's <c>anthropic_beta</c>: as many as the provider side keeps (Clouds' CloudRequestBody,
    /// not referenced here so Bedrock stays below Clouds).
    /// </summary>
    private const int MaxBetas = 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = Envelope.EnvelopeReader.MaxDepth };

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        SkipValidation = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>False with a message when the body is not a JSON object or its <c>anthropic_beta</c> is not an array of strings.</summary>
    public static bool TryWrite(ReadOnlySpan<byte> body, string model, bool stream, IBufferWriter<byte> output, List<string> betas, out string? error)
    {
        error = null;
        var reader = new Utf8JsonReader(body, ReaderOptions);
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "The request body must be a JSON object.";
                return false;
            }
            writer.WriteStartObject();
            writer.WriteString("model"u8, model);
            writer.WriteBoolean("stream"u8, stream);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8) || reader.ValueTextEquals("stream"u8) || reader.ValueTextEquals("anthropic_version"u8))
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
                WriteName(writer, ref reader);
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                writer.WriteRawValue(body[start..(int)reader.BytesConsumed], skipInputValidation: true);
            }
            writer.WriteEndObject();
            writer.Flush();
            return true;
        }
        catch (JsonException)
        {
            error = "The request body is not valid JSON.";
            return false;
        }
    }

    private static bool ReadBetas(ref Utf8JsonReader reader, List<string> betas)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String || betas.Count >= MaxBetas)
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

    private static void WriteName(Utf8JsonWriter writer, ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            writer.WritePropertyName(reader.ValueSpan);
            return;
        }
        writer.WritePropertyName(reader.GetString()!);
    }
}
