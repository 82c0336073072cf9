using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.Front.Envelope;

/// <summary>
/// A cloud-shaped request body a client sends the gateway (Claude Code with <c>CLAUDE_CODE_USE_BEDROCK=1</c> or
/// <c>CLAUDE_CODE_USE_VERTEX=1</c>) as the Messages body it stands for: <c>model</c> (and for Bedrock
/// <c>stream</c>) put back from the URL, <c>anthropic_version</c> dropped (the Messages API takes it as a header),
/// the body's <c>anthropic_beta</c> taken out for the <c>anthropic-beta</c> header. One top-level
/// <see cref="Utf8JsonReader"/> pass; every other member's value is copied as its raw bytes. Here, below both
/// surfaces, so Bedrock and Clouds share it without depending on each other.
/// </summary>
public static class IngressBody
{
    /// <summary>Most betas a request may name (header and body together); a real request names about ten.</summary>
    public const int MaxBetas = 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = EnvelopeReader.MaxDepth };

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        SkipValidation = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Writes the Messages body with <paramref name="model"/> and, when given, <paramref name="stream"/> (the body's own
    /// <c>stream</c> is kept otherwise); false with a message when the body is not a JSON object or its
    /// <c>anthropic_beta</c> is not an array of strings. <paramref name="betas"/> gets the body's betas (usually none).
    /// </summary>
    public static bool TryWrite(ReadOnlySpan<byte> body, string model, bool? stream, IBufferWriter<byte> output, List<string> betas,
        out string? error)
    {
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
            if (stream is { } streamed)
            {
                writer.WriteBoolean("stream"u8, streamed);
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8) || reader.ValueTextEquals("anthropic_version"u8)
                    || (stream is not null && reader.ValueTextEquals("stream"u8)))
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
                RawMember.Copy(writer, ref reader, body);
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
}
