namespace Gateway.Front.Streaming;

/// <summary>Replaces an upstream response's content so the forwarder reads it through the tap.</summary>
internal sealed class TappedContent(HttpContent inner, IResponseTap tap) : WrappingContent(inner)
{
    protected override Stream Wrap(Stream inner) => new TappingStream(inner, tap);
}
