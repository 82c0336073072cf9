namespace Gateway.Front.Streaming;

/// <summary>
/// The shared frame of a read-side wrapper over an upstream body (<see cref="TappingStream"/>,
/// <see cref="TranslatingStream"/>): read-only, not seekable, sync and array reads routed to the one
/// <see cref="Stream.ReadAsync(Memory{byte}, CancellationToken)"/> a wrapper overrides, and the inner body
/// disposed with it. Only the override runs per read; nothing here allocates.
/// </summary>
internal abstract class ReadThroughStream(Stream inner) : Stream
{
    /// <summary>The wrapped body.</summary>
    protected Stream Inner { get; } = inner;

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public sealed override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public sealed override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Disposes the inner body; a wrapper releasing its own state does so first, then calls this.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public sealed override bool CanRead => true;
    public sealed override bool CanSeek => false;
    public sealed override bool CanWrite => false;
    public sealed override long Length => throw new NotSupportedException();
    public sealed override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public sealed override void Flush() { }
    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public sealed override void SetLength(long value) => throw new NotSupportedException();
    public sealed override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
