using System.Net.Http.Headers;
using Gateway.Front.Streaming;

namespace Gateway.Front.Bedrock.Provider;

/// <summary>
/// Replaces a Bedrock response's content with what an Anthropic client expects: the eventstream of a streamed
/// answer as SSE (translated message by message, so each event is flushed when its frame arrives), an error body
/// in Anthropic's shape. A non-streamed answer is already Anthropic's Message JSON and is not wrapped.
/// </summary>
internal sealed class BedrockTranslatingContent : WrappingContent
{
    public const string EventStreamMediaType = "application/vnd.amazon.eventstream";
    public const string SseMediaType = "text/event-stream";
    public const string JsonMediaType = "application/json";

    private readonly IBodyTranslator _translator;

    private BedrockTranslatingContent(HttpContent inner, IBodyTranslator translator, string mediaType)
        : base(inner, static name => !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
            && !name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
    {
        _translator = translator;
        Headers.ContentType = new MediaTypeHeaderValue(mediaType) { CharSet = mediaType == SseMediaType ? "utf-8" : null };
    }

    /// <summary>The translation for a response, or null when its body is already Anthropic's.</summary>
    /// <param name="errorType">Anthropic's error type for a failed response (from <see cref="BedrockStreamErrors.Map"/>).</param>
    public static HttpContent? For(HttpResponseMessage response, string? errorType)
    {
        var status = (int)response.StatusCode;
        if (status < 300)
        {
            return response.Content.Headers.ContentType?.MediaType == EventStreamMediaType
                ? new BedrockTranslatingContent(response.Content, new BedrockToMessagesStream(), SseMediaType)
                : null;
        }
        var type = errorType ?? Errors.AnthropicErrorTypes.Api;
        return new BedrockTranslatingContent(response.Content,
            new BufferedBodyTranslator((body, output) => BedrockErrorBody.Translate(type, body.Span, output)), JsonMediaType);
    }

    protected override Stream Wrap(Stream inner) => new TranslatingStream(inner, _translator);
}
