namespace Gateway.FakeUpstream;

/// <summary>
/// What the fake will answer: a text reply cut into one piece per output token, or a tool call.
/// Output never exceeds max_tokens; when it would, the reply is cut and stop_reason is "max_tokens".
/// Pieces are slices of the reply text (no substring allocation when written).
/// </summary>
internal readonly struct ReplyPlan
{
    private readonly string _text;
    private readonly int _pieces;

    private ReplyPlan(string text, int pieces, int outputTokens, string stopReason, string? toolName, string? toolId)
    {
        _text = text;
        _pieces = pieces;
        OutputTokens = outputTokens;
        StopReason = stopReason;
        ToolName = toolName;
        ToolId = toolId;
    }

    public int OutputTokens { get; }
    public string StopReason { get; }
    public string? ToolName { get; }
    public string? ToolId { get; }
    public bool IsToolUse => ToolName is not null;

    /// <summary>The tool input streamed as input_json_delta pieces; their concatenation is the input <c>{}</c>.</summary>
    public static ReadOnlySpan<string> ToolInputPieces => ToolInputPartials;
    private static readonly string[] ToolInputPartials = ["{", "}"];

    public static ReplyPlan Create(FakeUpstreamOptions options, int maxTokens, string? toolName)
    {
        var wanted = Math.Max(1, options.OutputTokens);
        var output = Math.Min(wanted, maxTokens);
        var truncated = wanted > maxTokens;
        var stop = truncated ? "max_tokens" : toolName is not null ? "tool_use" : "end_turn";
        return new ReplyPlan(options.ReplyText ?? "", wanted, output, stop, toolName, toolName is null ? null : FakeIds.ToolUse());
    }

    /// <summary>Text of output token <paramref name="index"/> (may be empty when the text is shorter than the token count).</summary>
    public ReadOnlySpan<char> Piece(int index) => _text.AsSpan()[Start(index)..Start(index + 1)];

    /// <summary>The text actually produced (all emitted pieces).</summary>
    public ReadOnlySpan<char> Text => _text.AsSpan()[..Start(OutputTokens)];

    private int Start(int index)
    {
        var start = (int)((long)index * _text.Length / _pieces);
        // Never split a surrogate pair across two deltas: each delta must be valid UTF-16 on its own.
        if (start > 0 && start < _text.Length && char.IsLowSurrogate(_text[start]))
        {
            start++;
        }
        return start;
    }
}
