using Gateway.Front.Streaming;

namespace Gateway.Front.Clouds;

/// <summary>A Vertex error response's body, rewritten by <see cref="VertexErrors"/> as it ends (error bodies are small).</summary>
internal sealed class VertexErrorContent : WrappingContent
{
    private readonly int _status;

    private VertexErrorContent(HttpContent inner, int status)
        : base(inner, static name => !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
    {
        _status = status;
    }

    public static HttpContent For(HttpContent inner, int status) => new VertexErrorContent(inner, status);

    protected override Stream Wrap(Stream inner) =>
        new TranslatingStream(inner, new BufferedBodyTranslator((body, output) => VertexErrors.Translate(_status, body.Span, output)));
}
