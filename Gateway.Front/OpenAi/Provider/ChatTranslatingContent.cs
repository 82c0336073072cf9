using System.Net;
using System.Net.Http.Headers;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>
/// Replaces an OpenAI-compatible upstream's response content with its Anthropic translation: the
/// forwarder and the usage tap (which wraps this) read Anthropic-shaped bytes. The length is unknown
/// until translated, so the response goes out chunked; the content type is the translation's.
/// </summary>
internal sealed class ChatTranslatingContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly IChatTranslator _translator;

    private ChatTranslatingContent(HttpContent inner, IChatTranslator translator, string mediaType)
    {
        _inner = inner;
        _translator = translator;
        foreach (var header in inner.Headers)
        {
            if (!header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                && !header.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }
        Headers.ContentType = new MediaTypeHeaderValue(mediaType) { CharSet = mediaType == SseMediaType ? "utf-8" : null };
    }

    public const string SseMediaType = "text/event-stream";
    public const string JsonMediaType = "application/json";

    /// <summary>The translation for a response: SSE events for a stream, a Message for a success, an error body otherwise.</summary>
    public static ChatTranslatingContent For(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        var isStream = response.Content.Headers.ContentType?.MediaType == SseMediaType;
        if (status < 300 && isStream)
        {
            return new(response.Content, new ChatStreamTranslator(), SseMediaType);
        }
        if (status < 300)
        {
            return new(response.Content, new BufferedChatTranslator(ChatResponseTranslator.Translate), JsonMediaType);
        }
        return new(response.Content, new BufferedChatTranslator((body, output) => ChatErrorTranslator.Translate(status, body.Span, output)), JsonMediaType);
    }

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        new ChatTranslatingStream(await _inner.ReadAsStreamAsync(cancellationToken), _translator);

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
