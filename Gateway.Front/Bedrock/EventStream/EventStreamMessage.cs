using System.Buffers.Binary;

namespace Gateway.Front.Bedrock.EventStream;

/// <summary>
/// One decoded <c>application/vnd.amazon.eventstream</c> message, a view over the decoder's buffer: valid until
/// the next call into the decoder. Its headers were checked well-formed when it was decoded, so reading them
/// cannot fail.
/// </summary>
public readonly ref struct EventStreamMessage
{
    private readonly ReadOnlySpan<byte> _headers;

    internal EventStreamMessage(ReadOnlySpan<byte> headers, ReadOnlySpan<byte> payload)
    {
        _headers = headers;
        Payload = payload;
    }

    public ReadOnlySpan<byte> Payload { get; }

    /// <summary><c>:message-type</c>: <c>event</c>, <c>exception</c> or <c>error</c>.</summary>
    public ReadOnlySpan<byte> MessageType => StringHeader(":message-type"u8);

    /// <summary><c>:event-type</c> of an event (Bedrock: <c>chunk</c>).</summary>
    public ReadOnlySpan<byte> EventType => StringHeader(":event-type"u8);

    /// <summary><c>:exception-type</c> of an exception (<c>throttlingException</c>, <c>modelStreamErrorException</c>, …).</summary>
    public ReadOnlySpan<byte> ExceptionType => StringHeader(":exception-type"u8);

    /// <summary>The value of a string (or byte-array) header, empty when absent or of another type.</summary>
    public ReadOnlySpan<byte> StringHeader(ReadOnlySpan<byte> name)
    {
        var rest = _headers;
        while (!rest.IsEmpty)
        {
            var nameLength = rest[0];
            var headerName = rest.Slice(1, nameLength);
            var type = (EventStreamHeaderType)rest[1 + nameLength];
            var valueStart = 2 + nameLength;
            var size = EventStreamHeaderTypes.ValueSize(type, rest[valueStart..]);
            if (headerName.SequenceEqual(name) && type is EventStreamHeaderType.Utf8 or EventStreamHeaderType.ByteArray)
            {
                return rest.Slice(valueStart + 2, size - 2);
            }
            rest = rest[(valueStart + size)..];
        }
        return default;
    }

    /// <summary>Checks that <paramref name="headers"/> is a whole sequence of well-formed headers.</summary>
    internal static bool HeadersAreWellFormed(ReadOnlySpan<byte> headers)
    {
        while (!headers.IsEmpty)
        {
            var nameLength = headers[0];
            if (nameLength == 0 || headers.Length < 2 + nameLength)
            {
                return false;
            }
            var type = (EventStreamHeaderType)headers[1 + nameLength];
            var rest = headers[(2 + nameLength)..];
            if (!EventStreamHeaderTypes.TryValueSize(type, rest, out var size) || size > rest.Length)
            {
                return false;
            }
            headers = rest[size..];
        }
        return true;
    }
}

/// <summary>The header value types of the eventstream encoding (the byte after a header's name).</summary>
public enum EventStreamHeaderType : byte
{
    BoolTrue = 0,
    BoolFalse = 1,
    Byte = 2,
    TwoBytes = 3,
    FourBytes = 4,
    EightBytes = 5,
    ByteArray = 6,
    Utf8 = 7,
    Timestamp = 8,
    Uuid = 9,
}

internal static class EventStreamHeaderTypes
{
    /// <summary>Bytes the value takes after the type byte (a length-prefixed value counts its two length bytes).</summary>
    public static bool TryValueSize(EventStreamHeaderType type, ReadOnlySpan<byte> rest, out int size)
    {
        size = type switch
        {
            EventStreamHeaderType.BoolTrue or EventStreamHeaderType.BoolFalse => 0,
            EventStreamHeaderType.Byte => 1,
            EventStreamHeaderType.TwoBytes => 2,
            EventStreamHeaderType.FourBytes => 4,
            EventStreamHeaderType.EightBytes or EventStreamHeaderType.Timestamp => 8,
            EventStreamHeaderType.Uuid => 16,
            EventStreamHeaderType.ByteArray or EventStreamHeaderType.Utf8 =>
                rest.Length < 2 ? -1 : 2 + BinaryPrimitives.ReadUInt16BigEndian(rest),
            _ => -1,
        };
        return size >= 0;
    }

    public static int ValueSize(EventStreamHeaderType type, ReadOnlySpan<byte> rest) =>
        TryValueSize(type, rest, out var size) ? size : throw new InvalidOperationException("Header checked at decode time.");
}
