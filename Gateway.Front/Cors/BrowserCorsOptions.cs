namespace Gateway.Front.Cors;

/// <summary>Which browser origins may call the gateway. Section <c>Cors</c>. Empty: none; <c>*</c>: any.</summary>
public sealed class BrowserCorsOptions
{
    public const string Section = "Cors";
    public const string PolicyName = "browser-clients";

    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Headers a browser script may read from responses (rate limits drive client back-off).</summary>
    public static readonly string[] ExposedHeaders =
    [
        "request-id", "retry-after", "retry-after-ms", "x-should-retry",
        "anthropic-ratelimit-requests-limit", "anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset",
        "anthropic-ratelimit-tokens-limit", "anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset",
        "anthropic-ratelimit-input-tokens-limit", "anthropic-ratelimit-input-tokens-remaining", "anthropic-ratelimit-input-tokens-reset",
        "anthropic-ratelimit-output-tokens-limit", "anthropic-ratelimit-output-tokens-remaining", "anthropic-ratelimit-output-tokens-reset",
    ];
}
