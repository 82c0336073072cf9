using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using Gateway.Front.Buffers;

namespace Gateway.Front.Bedrock.EventStream;

/// <summary>
/// Incremental decoder of <c>application/vnd.amazon.eventstream</c> (AWS's binary framing of Bedrock's response
/// streams): bytes are appended as they arrive, in chunks split anywhere, and whole messages are taken out
/// as soon as their last byte is in. Each message is
/// <c>total length (4) | headers length (4) | prelude CRC32 (4) | headers | payload | message CRC32 (4)</c>,
/// big-endian, CRC32 as in gzip. Both CRCs, the lengths and the headers' shape are checked; the first
/// violation faults the decoder (<see cref="Error"/>) for good, since no later frame boundary can be trusted.
/// <para>
/// Hand-written rather than taken from AWSSDK.Core: the SDK's event stream decoder is internal to its
/// generated clients and pushes through events and its own buffers; this one is a span view over one pooled
/// buffer, which is all the translation needs.
/// </para>
/// </summary>
public sealed class EventStreamDecoder : IDisposable
{
    /// <summary>Prelude (12) plus message CRC (4): the smallest message.</summary>
    public const int Overhead = 16;

    /// <summary>AWS caps a message at 16 MiB and its headers at 128 KiB; larger lengths are refused before buffering.</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    public const int MaxHeaderBytes = 128 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    private int _start;
    private int _end;

    /// <summary>Why the stream is broken (null while it is sound).</summary>
    public string? Error { get; private set; }

    /// <summary>Bytes held that do not yet make a whole message.</summary>
    public int Pending => _end - _start;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (Error is not null || bytes.IsEmpty)
        {
            return;
        }
        if (_start > 0 && _start == _end)
        {
            _start = _end = 0;
        }
        if (_end + bytes.Length > _buffer.Length && _start > 0)
        {
            // Move the unfinished message to the front before growing.
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        PooledBytes.Append(ref _buffer, ref _end, bytes);
    }

    /// <summary>
    /// The next whole message, if its last byte has arrived. False with <see cref="Error"/> set when the bytes
    /// are not a valid message.
    /// </summary>
    public bool TryRead(out EventStreamMessage message)
    {
        message = default;
        if (Error is not null)
        {
            return false;
        }
        var available = _buffer.AsSpan(_start, _end - _start);
        if (available.Length < 12)
        {
            return false;
        }
        var total = BinaryPrimitives.ReadUInt32BigEndian(available);
        var headersLength = BinaryPrimitives.ReadUInt32BigEndian(available[4..]);
        if (Crc32.HashToUInt32(available[..8]) != BinaryPrimitives.ReadUInt32BigEndian(available[8..]))
        {
            return Fail("prelude CRC mismatch");
        }
        if (total < Overhead || total > MaxMessageBytes || headersLength > MaxHeaderBytes || headersLength > total - Overhead)
        {
            return Fail($"invalid lengths (total {total}, headers {headersLength})");
        }
        if (available.Length < total)
        {
            return false;
        }
        var frame = available[..(int)total];
        if (Crc32.HashToUInt32(frame[..^4]) != BinaryPrimitives.ReadUInt32BigEndian(frame[^4..]))
        {
            return Fail("message CRC mismatch");
        }
        var headers = frame.Slice(12, (int)headersLength);
        if (!EventStreamMessage.HeadersAreWellFormed(headers))
        {
            return Fail("malformed headers");
        }
        _start += (int)total;
        message = new EventStreamMessage(headers, frame[(12 + (int)headersLength)..^4]);
        return true;
    }

    private bool Fail(string why)
    {
        Error = "Malformed event stream: " + why + ".";
        return false;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        if (buffer.Length > 0)
        {
            _buffer = [];
            _start = _end = 0;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
