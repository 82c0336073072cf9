using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace Gateway.Front.Bedrock.EventStream;

/// <summary>
/// The payload of a Bedrock response-stream <c>chunk</c> event: <c>{"bytes":"&lt;base64 of one Anthropic event's JSON&gt;"}</c>
/// (Bedrock may add fields, such as padding, that are ignored).
/// </summary>
public static class BedrockChunk
{
    /// <summary>Writes one chunk event message carrying <paramref name="eventJson"/>.</summary>
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> eventJson)
    {
        var encodedLength = Base64.GetMaxEncodedToUtf8Length(eventJson.Length);
        var payloadLength = "{\"bytes\":\"\"}"u8.Length + encodedLength;
        var rented = ArrayPool<byte>.Shared.Rent(payloadLength);
        try
        {
            var payload = rented.AsSpan();
            "{\"bytes\":\""u8.CopyTo(payload);
            var at = "{\"bytes\":\""u8.Length;
            Base64.EncodeToUtf8(eventJson, payload[at..], out _, out var written);
            at += written;
            "\"}"u8.CopyTo(payload[at..]);
            at += 2;
            EventStreamEncoder.Write(output, EventStreamEncoder.ChunkHeaders, payload[..at]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Decodes the event JSON of a chunk payload into <paramref name="decoded"/> (rented from the pool; the
    /// caller returns it). False when the payload has no base64 <c>bytes</c> string.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> payload, out byte[] decoded, out int length)
    {
        decoded = [];
        length = 0;
        var reader = new Utf8JsonReader(payload);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isBytes = reader.ValueTextEquals("bytes"u8);
                reader.Read();
                if (!isBytes)
                {
                    reader.Skip();
                    continue;
                }
                // Base64 has no characters JSON escapes: a string with escapes is not a chunk.
                if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.HasValueSequence)
                {
                    return false;
                }
                var base64 = reader.ValueSpan;
                decoded = ArrayPool<byte>.Shared.Rent(Math.Max(1, Base64.GetMaxDecodedFromUtf8Length(base64.Length)));
                if (Base64.DecodeFromUtf8(base64, decoded, out _, out length) != OperationStatus.Done)
                {
                    ArrayPool<byte>.Shared.Return(decoded);
                    decoded = [];
                    length = 0;
                    return false;
                }
                return true;
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
