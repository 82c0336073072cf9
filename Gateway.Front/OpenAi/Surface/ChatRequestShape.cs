namespace Gateway.Front.OpenAi.Surface;

/// <summary>What the response translation needs to know about the Chat Completions request.</summary>
/// <param name="Model">The model the client asked for (the answer names the model that served).</param>
/// <param name="Stream">Whether the client asked for <c>stream: true</c>.</param>
/// <param name="IncludeUsage"><c>stream_options.include_usage</c>: a final usage chunk before <c>[DONE]</c>.</param>
public sealed record ChatRequestShape(string Model, bool Stream, bool IncludeUsage);
