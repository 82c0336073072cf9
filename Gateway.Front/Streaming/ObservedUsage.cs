namespace Gateway.Front.Streaming;

/// <summary>
/// What the tap saw in a response: the token counts the upstream billed, the model that served,
/// the tools the model called and how the response ended. Filled while bytes stream past.
/// </summary>
public sealed class ObservedUsage
{
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public long CacheCreationInputTokens { get; set; }
    public long CacheReadInputTokens { get; set; }
    public string? ServedModel { get; set; }
    public string? StopReason { get; set; }

    /// <summary>The <c>error.type</c> of an <c>error</c> event or error body, if any.</summary>
    public string? ErrorType { get; set; }

    public List<string> ToolNames { get; } = [];

    /// <summary>True once the response ended normally (<c>message_stop</c>, or a complete JSON body).</summary>
    public bool Completed { get; set; }

    /// <summary>Stopwatch timestamp of the first body byte, for time-to-first-byte.</summary>
    public long FirstByteTimestamp { get; set; }

    public long TotalInputTokens => InputTokens + CacheCreationInputTokens + CacheReadInputTokens;
}
