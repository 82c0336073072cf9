using System.Buffers;
using Gateway.Front.Buffers;

namespace Gateway.Front.Streaming;

/// <summary>
/// A whole-body translation (a Chat completion, an error body, a model list): the body is kept in a pooled buffer
/// and translated when it ends, since a JSON document cannot be rewritten before its last byte.
/// </summary>
internal sealed class BufferedBodyTranslator(BufferedBodyTranslator.Translate translate) : IBodyTranslator
{
    public delegate void Translate(ReadOnlyMemory<byte> body, IBufferWriter<byte> output);

    /// <summary>Larger bodies are cut (and then fail to parse, which the translation reports); real ones are far smaller.</summary>
    private const int MaxBody = 16 * 1024 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    private int _length;

    public void Feed(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output)
    {
        if (_length + chunk.Length <= MaxBody)
        {
            PooledBytes.Append(ref _buffer, ref _length, chunk);
        }
    }

    public void Finish(IBufferWriter<byte> output) => translate(_buffer.AsMemory(0, _length), output);

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
