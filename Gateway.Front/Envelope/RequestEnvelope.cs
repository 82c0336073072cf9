namespace Gateway.Front.Envelope;

/// <summary>
/// What the gateway needs to know about a Messages request, read without materialising the body:
/// enough to admit, route and audit it. Everything else in the body is passed through untouched.
/// </summary>
public sealed record RequestEnvelope(
    string Model,
    bool Stream,
    long? MaxTokens,
    string? MetadataUserId,
    string? SessionId,
    int BodyBytes)
{
    /// <summary>Hash (hex) of the <c>tools</c> and <c>system</c> bytes: the stable prefix, equal across repeated prompts.</summary>
    public string? PromptPrefixHash { get; init; }

    /// <summary><c>cache_control</c> markers in the body (counted textually; the rewrite step counts exactly).</summary>
    public int CacheBreakpoints { get; init; }
}
