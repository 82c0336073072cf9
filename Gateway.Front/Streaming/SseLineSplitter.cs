using System.Buffers;
using Gateway.Front.Buffers;

namespace Gateway.Front.Streaming;

/// <summary>Receives the lines an <see cref="SseLineSplitter"/> finds (without their <c>\n</c>).</summary>
public interface ISseLineSink
{
    void OnLine(ReadOnlySpan<byte> line);
}

/// <summary>
/// Splits a server-sent-events byte stream into lines however it is chunked, for the usage tap and the
/// two stream translators (push-style, chunk by chunk: no SSE library parses that way without buffering).
/// A line cut across chunks is carried in a pooled buffer; a line longer than the limit is dropped whole,
/// whether it arrived whole or in pieces, so what a reader sees never depends on where chunks were cut.
/// </summary>
public sealed class SseLineSplitter(int maxLineBytes) : IDisposable
{
    private byte[] _carry = ArrayPool<byte>.Shared.Rent(1024);
    private int _carryLength;
    private bool _carryOverflow;

    public void Feed<TSink>(ReadOnlySpan<byte> chunk, TSink sink) where TSink : ISseLineSink
    {
        while (!chunk.IsEmpty)
        {
            var newline = chunk.IndexOf((byte)'\n');
            if (newline < 0)
            {
                Carry(chunk);
                return;
            }
            var line = chunk[..newline];
            chunk = chunk[(newline + 1)..];
            if (_carryLength > 0 || _carryOverflow)
            {
                Carry(line);
                if (!_carryOverflow)
                {
                    sink.OnLine(_carry.AsSpan(0, _carryLength));
                }
                _carryLength = 0;
                _carryOverflow = false;
            }
            else if (line.Length <= maxLineBytes)
            {
                sink.OnLine(line);
            }
        }
    }

    /// <summary>The stream ended: a last line without its <c>\n</c> is still a line.</summary>
    public void Flush<TSink>(TSink sink) where TSink : ISseLineSink
    {
        if (_carryLength > 0 && !_carryOverflow)
        {
            sink.OnLine(_carry.AsSpan(0, _carryLength));
        }
        _carryLength = 0;
        _carryOverflow = false;
    }

    private void Carry(ReadOnlySpan<byte> part)
    {
        if (_carryOverflow || _carryLength + part.Length > maxLineBytes)
        {
            _carryOverflow = true;
            return;
        }
        PooledBytes.Append(ref _carry, ref _carryLength, part);
    }

    public void Dispose()
    {
        if (_carry.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_carry);
            _carry = [];
        }
    }
}
