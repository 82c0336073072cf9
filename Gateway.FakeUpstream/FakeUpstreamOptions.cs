namespace Gateway.FakeUpstream;

/// <summary>
/// Knobs of the fake Anthropic upstream. Every property is read on each request, so a test or a
/// benchmark can change them while the server runs (e.g. raise <see cref="EventDelayMs"/> mid-test).
/// </summary>
public sealed class FakeUpstreamOptions
{
    /// <summary>The fake Bedrock's default AWS access key id and secret (tests sign with them through AWS_* variables).</summary>
    public const string DefaultBedrockAccessKey = "AKIDFAKEBEDROCK0001";

    public const string DefaultBedrockSecret = "fake/bedrock+secret/key0001";

    /// <summary>
    /// The fake Bedrock (<c>/model/{id}/invoke…</c>): AWS access key id → secret. A request must be SigV4-signed
    /// (service <c>bedrock</c>) with one of them, or carry a Bedrock API key (one of <see cref="ApiKeys"/>) as a bearer.
    /// </summary>
    public Dictionary<string, string> BedrockCredentials { get; set; } = new(StringComparer.Ordinal)
    {
        [DefaultBedrockAccessKey] = DefaultBedrockSecret,
    };

    /// <summary>Listen address. Port 0 lets the OS pick a free port (read it from BaseAddress).</summary>
    public string Url { get; set; } = "http://127.0.0.1:0";

    /// <summary>Delay between two SSE events, so tests can see chunks arrive one by one.</summary>
    public int EventDelayMs { get; set; }

    /// <summary>
    /// Speak HTTP/2 only, with prior knowledge on plain http (h2c), as a gateway front does with
    /// <c>Upstream:HttpVersion=2</c>: the bench's 10,000-stream scenario multiplexes its streams this way.
    /// </summary>
    public bool Http2Only { get; set; }

    /// <summary>Output tokens per reply; the reply text is cut into about one text delta per token.</summary>
    public int OutputTokens { get; set; } = 12;

    public string ReplyText { get; set; } = "Hello from the fake upstream.";

    /// <summary>If non-empty, only these keys pass (x-api-key or Authorization: Bearer); empty accepts any non-empty key.</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>0 = unlimited; otherwise a per-key token bucket on POST /v1/messages that answers 429 when empty.</summary>
    public int RequestsPerMinutePerKey { get; set; }

    /// <summary>
    /// Ring size of the request recorder. Bounded so a long benchmark does not keep every 50 KB body
    /// alive; 0 or less turns recording off.
    /// </summary>
    public int MaxRecordedRequests { get; set; } = 10_000;

    /// <summary>
    /// Breakpoints whose prefix is shorter than this are ignored by the cache simulation, as Anthropic
    /// silently ignores prefixes below the model's minimum. 0 keeps small test prompts cacheable.
    /// </summary>
    public int MinCacheablePrefixTokens { get; set; }

    /// <summary>
    /// <c>/v1/chat/completions</c> only: how many of each request's prompt tokens are reported as
    /// cached (<c>prompt_tokens_details.cached_tokens</c>), capped at the prompt size.
    /// </summary>
    public int OpenAiCachedPromptTokens { get; set; }

    /// <summary>Non-streaming replies only: a content block nested this deep comes before the real content (0 = none).</summary>
    public int ReplyNestingDepth { get; set; }

    /// <summary>Non-streaming replies only: about this many bytes of extra text blocks come before the real content (0 = none).</summary>
    public long ReplyPaddingBytes { get; set; }

    /// <summary>How long a Message Batch stays <c>in_progress</c> before it ends with its results.</summary>
    public int BatchProcessingMs { get; set; } = 1000;

    /// <summary>
    /// Vertex AI routes: bearer tokens accepted besides those the fake Google token endpoint issued. Both empty:
    /// any non-empty bearer token passes (but one is always required).
    /// </summary>
    public string[] VertexAccessTokens { get; set; } = [];

    /// <summary>Lifetime (<c>expires_in</c>) of the tokens the fake Google token endpoint (<c>POST /token</c>) issues.</summary>
    public int GoogleTokenLifetimeSeconds { get; set; } = 3600;

    /// <summary>
    /// PEM of the service account's public key: when set, the token endpoint checks the RS256 signature of the
    /// JWT assertion with it, as Google checks it against the key it issued.
    /// </summary>
    public string? GoogleServiceAccountPublicKeyPem { get; set; }
}
