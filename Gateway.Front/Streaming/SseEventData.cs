using System.Buffers;
using Gateway.Front.Buffers;

namespace Gateway.Front.Streaming;

/// <summary>
/// The data of the SSE event being read: its <c>data:</c> lines joined by <c>\n</c> in a pooled buffer until
/// the blank line that ends the event. An event whose data would pass the limit is dropped whole (further
/// lines are not kept), so a reader never sees a cut payload and the buffer never grows past the limit.
/// </summary>
public sealed class SseEventData(int maxBytes) : IDisposable
{
    private byte[] _data = ArrayPool<byte>.Shared.Rent(1024);
    private int _length;
    private bool _overflow;

    /// <summary>True when the event has data to read: some was added and none was dropped.</summary>
    public bool HasPayload => _length > 0 && !_overflow;

    /// <summary>The event's data so far.</summary>
    public ReadOnlySpan<byte> Payload => _data.AsSpan(0, _length);

    /// <summary>Adds one <c>data:</c> line's value (see <see cref="SseLine.TryData"/>).</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (_overflow)
        {
            return;
        }
        if (_length + 1 + data.Length > maxBytes)
        {
            _overflow = true;
            _length = 0;
            return;
        }
        if (_length > 0)
        {
            PooledBytes.Append(ref _data, ref _length, "\n"u8);
        }
        PooledBytes.Append(ref _data, ref _length, data);
    }

    /// <summary>The event ended: start the next one empty.</summary>
    public void Clear()
    {
        _length = 0;
        _overflow = false;
    }

    public void Dispose()
    {
        if (_data.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_data);
            _data = [];
        }
    }
}
