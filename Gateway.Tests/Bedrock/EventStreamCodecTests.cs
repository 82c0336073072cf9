using System.Buffers;
using System.Text;
using Gateway.Front.Bedrock.EventStream;

namespace Gateway.Tests.Bedrock;

public sealed class EventStreamCodecTests
{
    /// <summary>A published eventstream example: payload <c>{"foo": "bar"}</c>, no headers, with its two CRCs.</summary>
    private static readonly byte[] Published =
    [
        0, 0, 0, 30, 0, 0, 0, 0, 186, 242, 246, 138,
        .. "{\"foo\": \"bar\"}"u8.ToArray(),
        174, 114, 88, 228,
    ];

    internal static byte[] Encode(ReadOnlySpan<byte> headers, ReadOnlySpan<byte> payload)
    {
        var output = new ArrayBufferWriter<byte>();
        EventStreamEncoder.Write(output, headers, payload);
        return output.WrittenSpan.ToArray();
    }

    [Fact]
    public void The_encoder_reproduces_a_published_message_byte_for_byte()
    {
        Assert.Equal(Published, Encode([], "{\"foo\": \"bar\"}"u8));
    }

    [Fact]
    public void The_decoder_reads_the_published_message()
    {
        using var decoder = new EventStreamDecoder();
        decoder.Append(Published);

        Assert.True(decoder.TryRead(out var message));
        Assert.Equal("{\"foo\": \"bar\"}", Encoding.UTF8.GetString(message.Payload));
        Assert.True(message.MessageType.IsEmpty);
        Assert.False(decoder.TryRead(out _));
        Assert.Null(decoder.Error);
    }

    [Fact]
    public void Chunk_events_round_trip_with_their_headers()
    {
        var bytes = new ArrayBufferWriter<byte>();
        BedrockChunk.Write(bytes, """{"type":"message_stop"}"""u8);
        using var decoder = new EventStreamDecoder();
        decoder.Append(bytes.WrittenSpan);

        Assert.True(decoder.TryRead(out var message));
        Assert.Equal("event", Encoding.UTF8.GetString(message.MessageType));
        Assert.Equal("chunk", Encoding.UTF8.GetString(message.EventType));
        Assert.Equal("application/json", Encoding.UTF8.GetString(message.StringHeader(":content-type"u8)));
        Assert.True(BedrockChunk.TryDecode(message.Payload, out var decoded, out var length));
        Assert.Equal("""{"type":"message_stop"}""", Encoding.UTF8.GetString(decoded, 0, length));
        ArrayPool<byte>.Shared.Return(decoded);
    }

    [Fact]
    public void Every_header_type_is_skipped_to_find_a_string_header()
    {
        var headers = new List<byte>();
        void Add(string name, byte type, params byte[] value)
        {
            headers.Add((byte)name.Length);
            headers.AddRange(Encoding.ASCII.GetBytes(name));
            headers.Add(type);
            headers.AddRange(value);
        }
        Add("t", 0);
        Add("f", 1);
        Add("b", 2, 7);
        Add("s", 3, 0, 1);
        Add("i", 4, 0, 0, 0, 1);
        Add("l", 5, 0, 0, 0, 0, 0, 0, 0, 1);
        Add("y", 6, 0, 2, 9, 9);
        Add("ts", 8, 0, 0, 0, 0, 0, 0, 0, 1);
        Add("u", 9, new byte[16]);
        Add(":message-type", 7, [0, 9, .. "exception"u8.ToArray()]);
        using var decoder = new EventStreamDecoder();
        decoder.Append(Encode(headers.ToArray(), "{}"u8));

        Assert.True(decoder.TryRead(out var message));
        Assert.Equal("exception", Encoding.UTF8.GetString(message.MessageType));
    }

    [Fact]
    public void Messages_split_at_every_byte_boundary_decode_the_same()
    {
        var stream = new ArrayBufferWriter<byte>();
        BedrockChunk.Write(stream, """{"type":"message_start","message":{"usage":{"input_tokens":12}}}"""u8);
        BedrockChunk.Write(stream, """{"type":"content_block_delta","delta":{"type":"text_delta","text":"h\u00e9"}}"""u8);
        EventStreamEncoder.Write(stream, EventStreamEncoder.ExceptionHeaders("throttlingException"), """{"message":"slow down"}"""u8);
        var bytes = stream.WrittenSpan.ToArray();
        var expected = Decode(bytes, [bytes.Length]);
        Assert.Equal(4, expected.Count); // three messages and the end state

        for (var cut = 1; cut < bytes.Length; cut++)
        {
            Assert.Equal(expected, Decode(bytes, [cut, bytes.Length - cut]));
        }
        Assert.Equal(expected, Decode(bytes, Enumerable.Repeat(1, bytes.Length).ToArray()));
    }

    [Theory]
    [InlineData(8, "prelude CRC")]
    [InlineData(13, "message CRC")]
    [InlineData(29, "message CRC")]
    public void A_flipped_bit_faults_the_decoder_for_good(int at, string why)
    {
        var bytes = (byte[])Published.Clone();
        bytes[at] ^= 0x10;
        using var decoder = new EventStreamDecoder();
        decoder.Append(bytes);

        Assert.False(decoder.TryRead(out _));
        Assert.Contains(why, decoder.Error);
        decoder.Append(Published);
        Assert.False(decoder.TryRead(out _));
    }

    [Fact]
    public void Lengths_that_lie_are_refused_before_buffering()
    {
        var huge = Encode([], "x"u8);
        // A prelude announcing 1 GiB, with a correct prelude CRC: refused at once, not waited for.
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(huge, 1 << 30);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(huge.AsSpan(8), System.IO.Hashing.Crc32.HashToUInt32(huge.AsSpan(0, 8)));
        using var decoder = new EventStreamDecoder();
        decoder.Append(huge);

        Assert.False(decoder.TryRead(out _));
        Assert.Contains("invalid lengths", decoder.Error);
    }

    [Fact]
    public void Malformed_headers_are_refused()
    {
        using var decoder = new EventStreamDecoder();
        decoder.Append(Encode([5, (byte)'a'], "{}"u8)); // a name longer than the header block

        Assert.False(decoder.TryRead(out _));
        Assert.Contains("malformed headers", decoder.Error);
    }

    internal static List<string> Decode(byte[] bytes, int[] chunks)
    {
        using var decoder = new EventStreamDecoder();
        var seen = new List<string>();
        var at = 0;
        foreach (var size in chunks)
        {
            decoder.Append(bytes.AsSpan(at, size));
            at += size;
            while (decoder.TryRead(out var message))
            {
                seen.Add(Encoding.UTF8.GetString(message.MessageType) + "|" + Encoding.UTF8.GetString(message.EventType) + "|"
                    + Encoding.UTF8.GetString(message.ExceptionType) + "|" + Convert.ToHexString(message.Payload));
            }
        }
        seen.Add("error:" + decoder.Error + " pending:" + decoder.Pending);
        return seen;
    }
}
