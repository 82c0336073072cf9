using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.FakeUpstream.Bedrock;

/// <summary>
/// Sits under the fake's Anthropic SSE writer and re-frames what it writes the way Bedrock streams: each SSE
/// event's data becomes one eventstream <c>chunk</c> message (base64 inside), flushed on its own; an
/// <c>error</c> event becomes an exception message (<c>modelStreamErrorException</c> for overload, or the type a
/// test asks for with <see cref="ExceptionHeader"/>); pings are dropped, as Bedrock sends none. A send stamp
/// (<c>: sent-ns</c> comment, <see cref="FakeUpstreamHeaders.SendStamps"/>) is taken anew as the frame is built and
/// carried inside the event's JSON, the one place a Bedrock stream has room for it.
/// </summary>
internal sealed class EventStreamResponseBody(Stream inner, HttpResponse response, string? exceptionType) : Stream
{
    /// <summary>Request header: the exception type a mid-stream error is sent as (e.g. <c>throttlingException</c>).</summary>
    public const string ExceptionHeader = "x-fake-bedrock-exception";

    public const string MediaType = "application/vnd.amazon.eventstream";

    private readonly StringBuilder _pending = new();
    private bool _started;

    public static void Install(HttpContext ctx)
    {
        var original = ctx.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        var requested = ctx.Request.Headers[ExceptionHeader].ToString();
        ctx.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(
            new EventStreamResponseBody(original.Stream, ctx.Response, requested.Length > 0 ? requested : null), original));
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_started)
        {
            _started = true;
            if (response.StatusCode == 200 && !response.HasStarted)
            {
                response.ContentType = MediaType;
                response.Headers["x-amzn-RequestId"] = response.Headers[FakeUpstreamHeaders.RequestId].ToString();
            }
        }
        if (response.StatusCode != 200)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            return;
        }
        _pending.Append(Encoding.UTF8.GetString(buffer.Span));
        var text = _pending.ToString();
        int end;
        while ((end = text.IndexOf("\n\n", StringComparison.Ordinal)) >= 0)
        {
            var frame = Frame(text[..end]);
            text = text[(end + 2)..];
            if (frame is not null)
            {
                await inner.WriteAsync(frame, cancellationToken);
                await inner.FlushAsync(cancellationToken);
            }
        }
        _pending.Clear().Append(text);
    }

    private byte[]? Frame(string sseEvent)
    {
        string? name = null;
        var stamped = false;
        var data = new StringBuilder();
        foreach (var line in sseEvent.Split('\n'))
        {
            if (line.StartsWith(": sent-ns ", StringComparison.Ordinal))
            {
                stamped = true;
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                name = line[6..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Append(line[5..].TrimStart());
            }
        }
        if (data.Length == 0 || name == "ping")
        {
            return null;
        }
        if (name == "error")
        {
            var type = JsonDocument.Parse(data.ToString()).RootElement.GetProperty("error").GetProperty("type").GetString();
            var exception = exceptionType ?? (type == "rate_limit_error" ? "throttlingException" : "modelStreamErrorException");
            var payload = exception == "modelStreamErrorException"
                ? """{"message":"Overloaded","originalStatusCode":529,"originalMessage":"Overloaded"}"""
                : """{"message":"Too many requests, please wait before trying again."}""";
            return EventStreamFrames.Exception(exception, payload);
        }
        if (stamped && data.Length > 1 && data[0] == '{')
        {
            var ns = (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));
            data.Insert(1, "\"" + FakeUpstreamHeaders.SentStampMember + "\":" + ns.ToString(CultureInfo.InvariantCulture) + (data[1] == '}' ? "" : ","));
        }
        return EventStreamFrames.Chunk(Encoding.UTF8.GetBytes(data.ToString()));
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
