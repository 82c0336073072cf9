using System.Buffers;
using System.Text.Json;

namespace Gateway.Front.Streaming;

/// <summary>
/// Taps a non-streaming JSON response: keeps a copy of the body (up to a cap) and reads
/// <c>usage</c>, <c>model</c>, tool names and error type once the body has ended.
/// </summary>
public sealed class JsonUsageTap : IResponseTap
{
    /// <summary>Message bodies past this are not parsed; usage comes last in them, so a partial copy is no use.</summary>
    private const int MaxBody = 8 * 1024 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    private int _length;
    private bool _overflow;

    public ObservedUsage Usage { get; } = new();

    public void Observe(ReadOnlySpan<byte> chunk)
    {
        if (_overflow)
        {
            return;
        }
        if (_length + chunk.Length > MaxBody)
        {
            _overflow = true;
            return;
        }
        PooledBytes.Append(ref _buffer, ref _length, chunk);
    }

    public void Complete()
    {
        if (_overflow || _length == 0)
        {
            return;
        }
        try
        {
            var reader = new Utf8JsonReader(_buffer.AsSpan(0, _length));
            if (reader.Read())
            {
                UsageJson.ReadMessage(ref reader, Usage);
                Usage.Completed = Usage.ErrorType is null;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // A truncated or non-JSON body: nothing to bill from it.
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
