using System.Net;

namespace Gateway.Front.Streaming;

/// <summary>
/// Replaces an upstream response's content with a stream read through another (the usage tap, a
/// translation). The wrapped length is not known in advance, so the response goes out chunked.
/// </summary>
internal abstract class WrappingContent : HttpContent
{
    private readonly HttpContent _inner;

    /// <param name="inner">The upstream content; its headers are copied unless <paramref name="copyHeader"/> says not.</param>
    protected WrappingContent(HttpContent inner, Func<string, bool>? copyHeader = null)
    {
        _inner = inner;
        foreach (var header in inner.Headers)
        {
            if (copyHeader is null || copyHeader(header.Key))
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }
    }

    /// <summary>The stream the forwarder reads, over the upstream's.</summary>
    protected abstract Stream Wrap(Stream inner);

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        Wrap(await _inner.ReadAsStreamAsync(cancellationToken));

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await using var source = await CreateContentReadStreamAsync(CancellationToken.None);
        await source.CopyToAsync(stream);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
