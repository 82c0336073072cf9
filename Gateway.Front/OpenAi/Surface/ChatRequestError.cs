namespace Gateway.Front.OpenAi.Surface;

/// <summary>
/// Why a Chat Completions request cannot become a Messages request: OpenAI's <c>message</c> and
/// <c>param</c> (the JSON path of the offending field, e.g. <c>messages[2].tool_calls[0].function.arguments</c>).
/// </summary>
public sealed record ChatRequestError(string Message, string? Param);
