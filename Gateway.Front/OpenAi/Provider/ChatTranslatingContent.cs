using System.Net.Http.Headers;
using Gateway.Front.Streaming;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>
/// Replaces an OpenAI-compatible upstream's response content with its Anthropic translation: the
/// forwarder and the usage tap (which wraps this) read Anthropic-shaped bytes. The length is unknown
/// until translated, so the response goes out chunked; the content type is the translation's.
/// </summary>
internal sealed class ChatTranslatingContent : WrappingContent
{
    private readonly IBodyTranslator _translator;

    private ChatTranslatingContent(HttpContent inner, IBodyTranslator translator, string mediaType)
        : base(inner, static name => !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
            && !name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
    {
        _translator = translator;
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
            return new(response.Content, new ChatToMessagesStream(), SseMediaType);
        }
        if (status < 300)
        {
            return new(response.Content, new BufferedBodyTranslator(ChatToMessagesResponse.Translate), JsonMediaType);
        }
        return new(response.Content, new BufferedBodyTranslator((body, output) => ChatToMessagesError.Translate(status, body.Span, output)), JsonMediaType);
    }

    protected override Stream Wrap(Stream inner) => new TranslatingStream(inner, _translator);
}
