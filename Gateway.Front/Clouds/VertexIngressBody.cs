using System.Text.Json;

namespace Gateway.Front.Clouds;

/// <summary>
/// What the Vertex AI request a client (Claude Code with <c>CLAUDE_CODE_USE_VERTEX=1</c>) sends carries beyond the
/// shared body (<see cref="Envelope.IngressBody"/>): the model of a count-tokens body, which names it in the body
/// rather than the URL.
/// </summary>
public static class VertexIngressBody
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = Envelope.EnvelopeReader.MaxDepth };

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
}
