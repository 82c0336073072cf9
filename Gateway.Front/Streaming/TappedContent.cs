using System.Net;

namespace Gateway.Front.Streaming;

/// <summary>Replaces an upstream response's content so the forwarder reads it through the tap.</summary>
internal sealed class TappedContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly IResponseTap _tap;

    public TappedContent(HttpContent inner, IResponseTap tap)
    {
        _inner = inner;
        _tap = tap;
        foreach (var header in inner.Headers)
        {
            Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
    }

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        new TappingStream(await _inner.ReadAsStreamAsync(cancellationToken), _tap);

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
