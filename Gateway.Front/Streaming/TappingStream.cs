using System.Diagnostics;

namespace Gateway.Front.Streaming;

/// <summary>
/// Read-side wrapper over the upstream body: every chunk is shown to the tap after it is read and
/// before the forwarder writes it, so observing costs no extra copy and adds no delay to a byte.
/// </summary>
internal sealed class TappingStream(Stream inner, IResponseTap tap) : Stream
{
    private bool _completed;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read;
        try
        {
            read = await inner.ReadAsync(buffer, cancellationToken);
        }
        catch
        {
            Finish();
            throw;
        }
        if (read > 0)
        {
            if (tap.Usage.FirstByteTimestamp == 0)
            {
                tap.Usage.FirstByteTimestamp = Stopwatch.GetTimestamp();
            }
            tap.Observe(buffer.Span[..read]);
        }
        else if (buffer.Length > 0)
        {
            Finish();
        }
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    private void Finish()
    {
        if (!_completed)
        {
            _completed = true;
            tap.Complete();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Finish();
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
