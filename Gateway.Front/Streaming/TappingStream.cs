using System.Diagnostics;

namespace Gateway.Front.Streaming;

/// <summary>
/// Read-side wrapper over the upstream body: every chunk is shown to the tap after it is read and
/// before the forwarder writes it, so observing costs no extra copy and adds no delay to a byte.
/// </summary>
internal sealed class TappingStream(Stream inner, IResponseTap tap) : ReadThroughStream(inner)
{
    private bool _completed;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read;
        try
        {
            read = await Inner.ReadAsync(buffer, cancellationToken);
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
        }
        base.Dispose(disposing);
    }
}
