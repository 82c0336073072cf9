using System.Buffers.Binary;
using System.Text;

namespace Gateway.FakeUpstream.Bedrock;

/// <summary>
/// The fake's own writer of <c>application/vnd.amazon.eventstream</c> messages, with its own CRC32, written
/// apart from the gateway's codec on purpose: a test where both sides share one implementation would pass
/// whatever that implementation got wrong.
/// </summary>
internal static class EventStreamFrames
{
    private static readonly uint[] Table = BuildTable();

    public static byte[] Chunk(ReadOnlySpan<byte> eventJson)
    {
        // Real Bedrock pads chunks with a "p" field so sizes do not leak the text; the gateway must ignore it.
        var payload = "{\"bytes\":\"" + Convert.ToBase64String(eventJson) + "\",\"p\":\"abcdefghij\"}";
        return Message([(":event-type", "chunk"), (":content-type", "application/json"), (":message-type", "event")], Encoding.UTF8.GetBytes(payload));
    }

    public static byte[] Exception(string exceptionType, string payloadJson) =>
        Message([(":exception-type", exceptionType), (":content-type", "application/json"), (":message-type", "exception")], Encoding.UTF8.GetBytes(payloadJson));

    public static byte[] Message((string Name, string Value)[] headers, byte[] payload)
    {
        using var headerBytes = new MemoryStream();
        foreach (var (name, value) in headers)
        {
            var n = Encoding.UTF8.GetBytes(name);
            var v = Encoding.UTF8.GetBytes(value);
            headerBytes.WriteByte((byte)n.Length);
            headerBytes.Write(n);
            headerBytes.WriteByte(7);
            headerBytes.WriteByte((byte)(v.Length >> 8));
            headerBytes.WriteByte((byte)v.Length);
            headerBytes.Write(v);
        }
        var h = headerBytes.ToArray();
        var total = 16 + h.Length + payload.Length;
        var frame = new byte[total];
        BinaryPrimitives.WriteInt32BigEndian(frame, total);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), h.Length);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), Crc32(frame.AsSpan(0, 8)));
        h.CopyTo(frame, 12);
        payload.CopyTo(frame, 12 + h.Length);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(total - 4), Crc32(frame.AsSpan(0, total - 4)));
        return frame;
    }

    /// <summary>CRC-32 as gzip computes it (reflected polynomial 0xEDB88320).</summary>
    public static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }
        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (var i = 0u; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[i] = c;
        }
        return table;
    }
}
