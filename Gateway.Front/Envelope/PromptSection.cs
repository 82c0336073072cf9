namespace Gateway.Front.Envelope;

/// <summary>The top-level members of a Messages body that make up the prompt prefix and its cache markers.</summary>
public enum PromptSection
{
    Tools,
    System,
    Messages,
    /// <summary>The top-level (automatic) <c>cache_control</c>.</summary>
    CacheControl,
}
