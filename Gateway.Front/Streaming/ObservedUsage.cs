using Gateway.Grains.Abstractions;
using Gateway.Grains.Text;

namespace Gateway.Front.Streaming;

/// <summary>
/// What the tap saw in a response: the token counts the upstream billed, the model that served,
/// the tools the model called and how the response ended. Filled while bytes stream past.
/// The strings are the upstream's (a model echoes tool names a tenant defined, NUL or 10 KB ones
/// included) and end in Postgres and metric labels, so they are cleaned and capped as they are set.
/// </summary>
public sealed class ObservedUsage
{
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public long CacheCreationInputTokens { get; set; }
    public long CacheReadInputTokens { get; set; }

    /// <summary>The part of <see cref="CacheCreationInputTokens"/> written for an hour (priced 2× input, not 1.25×).</summary>
    public long CacheCreation1hInputTokens { get; set; }
    /// <summary>Tool names kept per response for the audit row; calls past it are still counted.</summary>
    public const int MaxToolNames = 64;

    private string? _servedModel;
    private string? _stopReason;
    private string? _errorType;

    public string? ServedModel { get => _servedModel; set => _servedModel = BoundedText.Clean(value, BoundedText.MaxNameLength); }
    public string? StopReason { get => _stopReason; set => _stopReason = BoundedText.Clean(value, BoundedText.MaxTokenLength); }

    /// <summary>The <c>error.type</c> of an <c>error</c> event or error body, if any.</summary>
    public string? ErrorType { get => _errorType; set => _errorType = BoundedText.Clean(value, BoundedText.MaxTokenLength); }

    /// <summary>The first <see cref="MaxToolNames"/> tool names called, cleaned (add with <see cref="AddToolCall"/>).</summary>
    public List<string> ToolNames { get; } = [];

    /// <summary>Every tool call seen, named or not kept.</summary>
    public int ToolCalls { get; private set; }

    public void AddToolCall(string name)
    {
        ToolCalls++;
        if (ToolNames.Count < MaxToolNames)
        {
            ToolNames.Add(BoundedText.Clean(name, BoundedText.MaxNameLength)!);
        }
    }

    /// <summary>True once the response ended normally (<c>message_stop</c>, or a complete JSON body).</summary>
    public bool Completed { get; set; }

    /// <summary>Stopwatch timestamp of the first body byte, for time-to-first-byte.</summary>
    public long FirstByteTimestamp { get; set; }

    /// <summary>The counts seen so far as one value (set one by one above, as the parsers find them).</summary>
    public TokenUsage Tokens => new(InputTokens, OutputTokens, CacheCreationInputTokens, CacheReadInputTokens, CacheCreation1hInputTokens);

    public long TotalInputTokens => Tokens.BilledInput;
}
