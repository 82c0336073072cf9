using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Gateway.Front.Bedrock.EventStream;

/// <summary>
/// Writes <c>application/vnd.amazon.eventstream</c> messages (see <see cref="EventStreamDecoder"/> for the layout).
/// Headers are encoded once (<see cref="EncodeStringHeaders"/>) and reused: Bedrock's messages carry the same
/// three string headers every time, so a message costs its payload and two CRCs.
/// </summary>
public static class EventStreamEncoder
{
    /// <summary>The headers of a Bedrock response-stream chunk event.</summary>
    public static readonly byte[] ChunkHeaders = EncodeStringHeaders(
        (":event-type", "chunk"), (":content-type", "application/json"), (":message-type", "event"));

    /// <summary>Encodes string headers (type 7), in order.</summary>
    public static byte[] EncodeStringHeaders(params (string Name, string Value)[] headers)
    {
        var output = new ArrayBufferWriter<byte>(128);
        foreach (var (name, value) in headers)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            var valueBytes = Encoding.UTF8.GetBytes(value);
            if (nameBytes.Length is 0 or > byte.MaxValue || valueBytes.Length > ushort.MaxValue)
            {
                throw new ArgumentException($"Header '{name}' does not fit the encoding.", nameof(headers));
            }
            var span = output.GetSpan(4 + nameBytes.Length + valueBytes.Length);
            span[0] = (byte)nameBytes.Length;
            nameBytes.CopyTo(span[1..]);
            span[1 + nameBytes.Length] = (byte)EventStreamHeaderType.Utf8;
            BinaryPrimitives.WriteUInt16BigEndian(span[(2 + nameBytes.Length)..], (ushort)valueBytes.Length);
            valueBytes.CopyTo(span[(4 + nameBytes.Length)..]);
            output.Advance(4 + nameBytes.Length + valueBytes.Length);
        }
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The headers of an exception message (<c>:message-type exception</c>) of the given type.</summary>
    public static byte[] ExceptionHeaders(string exceptionType) => EncodeStringHeaders(
        (":exception-type", exceptionType), (":content-type", "application/json"), (":message-type", "exception"));

    /// <summary>Writes one message: prelude, its CRC, headers, payload, message CRC.</summary>
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> encodedHeaders, ReadOnlySpan<byte> payload)
    {
        var total = EventStreamDecoder.Overhead + encodedHeaders.Length + payload.Length;
        var span = output.GetSpan(total);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)encodedHeaders.Length);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], Crc32.HashToUInt32(span[..8]));
        encodedHeaders.CopyTo(span[12..]);
        payload.CopyTo(span[(12 + encodedHeaders.Length)..]);
        BinaryPrimitives.WriteUInt32BigEndian(span[(total - 4)..], Crc32.HashToUInt32(span[..(total - 4)]));
        output.Advance(total);
    }
}
