using System.Buffers;
using Gateway.Front.Buffers;
using Gateway.Front.Errors;

namespace Gateway.Front.OpenAi.Surface;

/// <summary>
/// Stands in for <c>HttpContext.Response.Body</c> on <c>/v1/chat/completions</c>, so every writer of the
/// response (YARP forwarding the upstream answer, a replayed held failure, <see cref="GatewayError"/> from
/// auth, admission or the forwarder) reaches the OpenAI client in OpenAI's shape without knowing it. The
/// form is chosen when the response starts (first write, flush, or Kestrel's OnStarting), from the status
/// and Content-Type the writer set: an event stream is translated event by event and flushed as it goes;
/// a JSON answer or any error is held (they are small and whole) and translated at <see cref="CompleteAsync"/>.
/// Status and headers (retry-after, x-should-retry, rate-limit headers) are kept; Content-Length is
/// dropped because the translation changes the length.
/// </summary>
public sealed class ChatResponseStream : Stream
{
    /// <summary>A held answer past this is not translated: OpenAI clients get a server_error instead.</summary>
    private const int MaxHeld = 16 * 1024 * 1024;

    private readonly HttpContext _context;
    private readonly Stream _inner;
    private readonly long _created;
    private Mode _mode;
    private PooledBufferWriter? _held;
    private bool _heldOverflow;
    private MessagesToChatStream? _chunks;
    private bool _completed;

    private ChatResponseStream(HttpContext context, long created)
    {
        _context = context;
        _inner = context.Response.Body;
        _created = created;
    }

    /// <summary>What the client asked for; set once the request is translated (errors before that need none).</summary>
    public ChatRequestShape? Request { get; set; }

    /// <summary>Puts the translating stream in front of the response body and returns it.</summary>
    public static ChatResponseStream Install(HttpContext context, TimeProvider time)
    {
        var stream = new ChatResponseStream(context, time.GetUtcNow().ToUnixTimeSeconds());
        context.Response.Body = stream;
        context.Response.OnStarting(static state => ((ChatResponseStream)state).OnStarting(), stream);
        return stream;
    }

    private Task OnStarting()
    {
        if (!_completed)
        {
            Decide();
        }
        var headers = _context.Response.Headers;
        if (_mode != Mode.PassThrough)
        {
            headers.ContentLength = null;
        }
        // OpenAI's SDKs report x-request-id; the gateway's and Anthropic's id is request-id. Both, the same value.
        if (headers.TryGetValue(GatewayError.RequestIdHeader, out var id) && !headers.ContainsKey("x-request-id"))
        {
            headers["x-request-id"] = id;
        }
        return Task.CompletedTask;
    }

    private void Decide()
    {
        if (_mode != Mode.Undecided)
        {
            return;
        }
        var status = _context.Response.StatusCode;
        var contentType = _context.Response.ContentType ?? "";
        if (status >= 400)
        {
            _mode = Mode.Error;
        }
        else if (contentType.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            _mode = Mode.Events;
            var request = Request ?? new ChatRequestShape("", Stream: true, IncludeUsage: false);
            _chunks = new MessagesToChatStream(request.Model, _created, request.IncludeUsage);
        }
        else if (contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            _mode = Mode.Completion;
        }
        else
        {
            _mode = Mode.PassThrough;
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Decide();
        switch (_mode)
        {
            case Mode.Events:
                _chunks!.Feed(buffer.Span);
                await SendPendingAsync(cancellationToken);
                break;
            case Mode.Completion:
            case Mode.Error:
                Hold(buffer.Span);
                break;
            default:
                await _inner.WriteAsync(buffer, cancellationToken);
                break;
        }
    }

    private void Hold(ReadOnlySpan<byte> bytes)
    {
        if (_heldOverflow || (_held?.WrittenCount ?? 0) + bytes.Length > MaxHeld)
        {
            _heldOverflow = true;
            return;
        }
        _held ??= new PooledBufferWriter(Math.Max(bytes.Length, 1024));
        bytes.CopyTo(_held.GetSpan(bytes.Length));
        _held.Advance(bytes.Length);
    }

    /// <summary>Writes what the event translation produced and flushes it: each event reaches the client as it arrives.</summary>
    private async ValueTask SendPendingAsync(CancellationToken cancellationToken)
    {
        var pending = _chunks!.Pending;
        if (pending.IsEmpty)
        {
            return;
        }
        await _inner.WriteAsync(pending, cancellationToken);
        _chunks.ClearPending();
        await _inner.FlushAsync(cancellationToken);
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        Decide();
        // A held answer is not started early: its length and shape are only known at the end.
        return _mode is Mode.Events or Mode.PassThrough ? _inner.FlushAsync(cancellationToken) : Task.CompletedTask;
    }

    /// <summary>
    /// The response writers are done: finish the event stream, or translate and send the held answer.
    /// Called once by the endpoint, after forwarding and settlement.
    /// </summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_completed)
        {
            return;
        }
        _completed = true;
        // A JSON answer that turned into a failure while being copied (YARP then sets 502), or an error
        // status with no body at all, is still answered with an OpenAI error body.
        if (_mode is Mode.Completion or Mode.Undecided && _context.Response.StatusCode >= 400 && !_context.Response.HasStarted)
        {
            _mode = Mode.Error;
        }
        switch (_mode)
        {
            case Mode.Events:
                _chunks!.Complete();
                await SendPendingAsync(cancellationToken);
                break;
            case Mode.Completion:
                await SendCompletionAsync(cancellationToken);
                break;
            case Mode.Error:
                await SendErrorAsync(cancellationToken);
                break;
        }
    }

    private async Task SendCompletionAsync(CancellationToken cancellationToken)
    {
        if (_held is null)
        {
            return;
        }
        using var output = new PooledBufferWriter(_held.WrittenCount + 512);
        if (_heldOverflow)
        {
            OpenAiErrorBody.Write(output, "The upstream answer was too large to translate.", OpenAiErrorTypes.Server, null, null);
        }
        else if (!MessagesToChatResponse.TryWrite(_held.WrittenSpan, output, Request?.Model ?? "", _created))
        {
            // Not a Message (an unexpected body on a 2xx): passed on as it came rather than invented.
            output.Write(_held.WrittenSpan);
        }
        await _inner.WriteAsync(output.WrittenMemory, cancellationToken);
    }

    private async Task SendErrorAsync(CancellationToken cancellationToken)
    {
        using var output = new PooledBufferWriter(1024);
        OpenAiErrorBody.Translate(_held is null || _heldOverflow ? default : _held.WrittenSpan, _context.Response.StatusCode, output);
        if (!_context.Response.HasStarted)
        {
            _context.Response.ContentType = "application/json";
        }
        await _inner.WriteAsync(output.WrittenMemory, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _held?.Dispose();
            _held = null;
            _chunks?.Dispose();
            _chunks = null;
        }
        base.Dispose(disposing);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    private enum Mode
    {
        Undecided,
        /// <summary>A Messages event stream, translated to chunks as it passes.</summary>
        Events,
        /// <summary>A Messages JSON answer, held and translated whole.</summary>
        Completion,
        /// <summary>An error status: the body is held and translated to OpenAI's error shape.</summary>
        Error,
        /// <summary>Neither JSON nor events (nothing the gateway sends today): bytes go through unchanged.</summary>
        PassThrough,
    }
}
