namespace Gateway.Front.Bedrock.Surface;

/// <summary>
/// Stands in for <c>HttpContext.Response.Body</c> on the Bedrock streaming path, so whatever writes the answer
/// (YARP forwarding any upstream's SSE, a replayed failure, the gateway's own errors) reaches a Bedrock-format
/// client as Bedrock sends it: a 200 event stream is re-framed as <c>application/vnd.amazon.eventstream</c> and
/// flushed per event; anything else (errors, in Anthropic's shape, which the client's SDK reads by status) passes
/// unchanged. The choice is made when the response starts, from the status and Content-Type set by then.
/// </summary>
public sealed class EventStreamResponseStream : Stream
{
    public const string MediaType = "application/vnd.amazon.eventstream";

    private readonly HttpContext _context;
    private readonly Stream _inner;
    private MessagesToBedrockStream? _frames;
    private bool _decided;

    private EventStreamResponseStream(HttpContext context)
    {
        _context = context;
        _inner = context.Response.Body;
    }

    public static EventStreamResponseStream Install(HttpContext context)
    {
        var stream = new EventStreamResponseStream(context);
        context.Response.Body = stream;
        context.Response.OnStarting(static state => ((EventStreamResponseStream)state).OnStarting(), stream);
        return stream;
    }

    private Task OnStarting()
    {
        Decide();
        if (_frames is not null)
        {
            _context.Response.ContentType = MediaType;
            _context.Response.ContentLength = null;
        }
        return Task.CompletedTask;
    }

    private void Decide()
    {
        if (_decided)
        {
            return;
        }
        _decided = true;
        var response = _context.Response;
        if (response.StatusCode == StatusCodes.Status200OK
            && (response.ContentType ?? "").StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            _frames = new MessagesToBedrockStream();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Decide();
        if (_frames is null)
        {
            await _inner.WriteAsync(buffer, cancellationToken);
            return;
        }
        _frames.Feed(buffer.Span);
        await SendAsync(cancellationToken);
    }

    private async ValueTask SendAsync(CancellationToken cancellationToken)
    {
        if (_frames!.Pending.IsEmpty)
        {
            return;
        }
        await _inner.WriteAsync(_frames.Pending, cancellationToken);
        _frames.ClearPending();
        await _inner.FlushAsync(cancellationToken);
    }

    /// <summary>The writers are done: send an event left without its closing blank line.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_frames is not null)
        {
            _frames.Finish();
            await SendAsync(cancellationToken);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        Decide();
        return _inner.FlushAsync(cancellationToken);
    }

    public override void Flush() => _inner.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _frames?.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
