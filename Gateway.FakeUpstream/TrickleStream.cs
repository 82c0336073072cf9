using Microsoft.AspNetCore.Http.Features;

namespace Gateway.FakeUpstream;

/// <summary>
/// A slow-loris upstream (fault <c>trickle:&lt;ms&gt;</c>): the reply body goes out one byte per write,
/// each flushed and followed by a pause, so a gateway sees the longest possible run of tiny chunks.
/// Headers go out whole (Kestrel writes them at once); byte-by-byte headers need a raw socket.
/// </summary>
internal sealed class TrickleStream(Stream inner, int delayMs, CancellationToken stopping) : Stream
{
    public static void Install(HttpContext ctx, int delayMs, CancellationToken stopping)
    {
        var original = ctx.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        ctx.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(new TrickleStream(original.Stream, delayMs, stopping), original));
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        for (var i = 0; i < buffer.Length; i++)
        {
            await inner.WriteAsync(buffer.Slice(i, 1), linked.Token);
            await inner.FlushAsync(linked.Token);
            if (delayMs > 0)
            {
                await Task.Delay(delayMs, linked.Token);
            }
        }
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
