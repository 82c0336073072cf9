namespace Gateway.Front.OpenAi;

/// <summary>
/// Anthropic's <c>stop_reason</c> and OpenAI's <c>finish_reason</c>, both ways. One table, used by
/// the OpenAI-compatible provider (Chat Completions answers turned into Messages) and by the
/// <c>/v1/chat/completions</c> surface (Messages answers turned into Chat Completions).
/// </summary>
public static class FinishReasons
{
    /// <summary>Anthropic <c>stop_reason</c> → OpenAI <c>finish_reason</c>; null stays null.</summary>
    public static string? ToOpenAi(string? stopReason) => stopReason switch
    {
        null => null,
        "end_turn" or "stop_sequence" or "pause_turn" => "stop",
        "max_tokens" or "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    };

    /// <summary>
    /// OpenAI <c>finish_reason</c> → Anthropic <c>stop_reason</c>. A <c>stop</c> caused by one of
    /// the request's stop sequences is <c>stop_sequence</c> when the caller knows the sequence matched.
    /// </summary>
    public static string? ToAnthropic(string? finishReason, bool matchedStopSequence = false) => finishReason switch
    {
        null => null,
        "stop" => matchedStopSequence ? "stop_sequence" : "end_turn",
        "length" => "max_tokens",
        "tool_calls" or "function_call" => "tool_use",
        "content_filter" => "refusal",
        _ => "end_turn",
    };
}
