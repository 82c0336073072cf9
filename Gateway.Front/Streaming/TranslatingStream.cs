using System.Buffers;

namespace Gateway.Front.Streaming;

/// <summary>
/// Read-side wrapper that rewrites an upstream body as it passes (an OpenAI-compatible answer into
/// Anthropic's, a model list filtered): each read takes what the upstream has,
/// translates it, and returns the translated bytes at once (a read returns as soon as one upstream
/// chunk produced output), so every event reaches the forwarder's copy loop, and the client, when
/// its source chunk arrives. Only output larger than the caller's buffer waits for the next read.
/// </summary>
internal sealed class TranslatingStream(Stream inner, IBodyTranslator translator) : ReadThroughStream(inner)
{
    private readonly ArrayBufferWriter<byte> _pending = new(4096);
    private byte[] _scratch = ArrayPool<byte>.Shared.Rent(16 * 1024);
    private int _served;
    private bool _innerDone;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }
        while (_served == _pending.WrittenCount)
        {
            _pending.ResetWrittenCount();
            _served = 0;
            if (_innerDone)
            {
                return 0;
            }
            var read = await Inner.ReadAsync(_scratch, cancellationToken);
            if (read == 0)
            {
                _innerDone = true;
                translator.Finish(_pending);
            }
            else
            {
                translator.Feed(_scratch.AsSpan(0, read), _pending);
            }
        }
        var count = Math.Min(buffer.Length, _pending.WrittenCount - _served);
        _pending.WrittenSpan.Slice(_served, count).CopyTo(buffer.Span);
        _served += count;
        return count;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            translator.Dispose();
            if (_scratch.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_scratch);
                _scratch = [];
            }
        }
        base.Dispose(disposing);
    }
}
