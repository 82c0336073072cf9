namespace Gateway.Front.Rewrite;

/// <summary>
/// The minimum cacheable prompt length of the models a glob matches (<c>claude-haiku-4*</c>): a
/// breakpoint whose prefix is shorter is silently ignored by Anthropic, so the gateway does not spend
/// one of the four slots on it.
/// </summary>
public sealed class ModelCacheMinimum
{
    /// <summary>Exact model name or glob (<c>*</c> any run of characters, <c>?</c> one; case-insensitive).</summary>
    public string Model { get; set; } = "";

    /// <summary>Tokens in the prefix up to the breakpoint (tools → system → messages).</summary>
    public int Tokens { get; set; }
}
