using System.Diagnostics;
using Gateway.Front.Envelope;
using Gateway.Front.Upstreams;

namespace Gateway.Front.Forwarding;

/// <summary>
/// One forwarded request: what the caller hands in (body, envelope, limits flag, success rewrite), the
/// retry loop's own state, and the transformer's answer for the current attempt
/// (<see cref="Answer"/>; YARP calls the transformer as a singleton, so it travels on the
/// <see cref="HttpContext"/>). What the caller reads back is <see cref="Outcome"/>.
/// </summary>
public sealed class ProxyExchange : IDisposable
{
    public long StartTimestamp { get; } = Stopwatch.GetTimestamp();

    /// <summary>
    /// The endpoint the request is counted under in <c>gateway_requests_in_flight</c> while it is forwarded
    /// (the same name as its <c>gateway_requests_total</c> series where it has one).
    /// </summary>
    public required string Endpoint { get; init; }

    /// <summary>The buffered request body, replayed on each attempt; null for bodies streamed through.</summary>
    public RequestBody? Body { get; init; }

    public RequestEnvelope? Envelope { get; init; }

    /// <summary>Input tokens estimated from the body size (admission's rule), the answer to count_tokens where no upstream counts.</summary>
    public long EstimatedInputTokens { get; init; }

    /// <summary>
    /// Whether the response speaks for the upstream key's Messages limits: its rate-limit headers feed the
    /// pool's headroom and its 429 cools the key's model class. Only Messages calls do; count_tokens, model
    /// listing and opened paths have limits of their own upstream, so one tenant's flood of them must not
    /// stop every team's Messages.
    /// </summary>
    public bool ReadsMessageLimits { get; init; }

    /// <summary>The credential sent upstream, or null to pass the client's own through.</summary>
    public UpstreamCredential? Upstream { get; internal set; }

    /// <summary>The provider the last attempt went to (the audit record's <c>provider</c>).</summary>
    public string? Provider { get; internal set; }

    /// <summary>The providers to try, from the routing rules; index <see cref="Step"/> is the current one.</summary>
    internal Routing.Route? Route { get; set; }

    internal int Step { get; set; }

    /// <summary>The provider of the current route step (null before routing).</summary>
    internal Upstreams.UpstreamProvider? CurrentProvider => Route is { } route && Step < route.Steps.Count ? route.Steps[Step].Provider : null;

    /// <summary>The pooled key of the current attempt (null: the client's credential went through).</summary>
    internal Upstreams.PooledKey? Key { get; set; }

    /// <summary>The model class of the current attempt: a 429 cools the key for this class only.</summary>
    internal Gateway.Grains.Abstractions.ModelClass ModelClass { get; set; }

    /// <summary>The body as sent to the current provider when its route step rewrites the model (alias).</summary>
    internal RequestBody? RoutedBody { get; set; }

    internal string? RoutedAlias { get; set; }

    /// <summary>A cloud provider's path and credential for the current attempt (null: an Anthropic or OpenAI-compatible one).</summary>
    internal Clouds.CloudCall? Cloud { get; set; }
    /// <summary>A cloud provider's model id for the current attempt (Bedrock), already checked and mapped.</summary>
    internal string? CloudModelId { get; set; }

    /// <summary>The current attempt's URI at a cloud provider (the model in the path).</summary>
    internal Uri? CloudUri { get; set; }

    /// <summary>The current attempt's SigV4 headers (Bedrock with AWS credentials); null when none are needed.</summary>
    internal IDictionary<string, string>? CloudSignature { get; set; }

    /// <summary>What the next attempt does, decided after each attempt (None: the outcome is final).</summary>
    internal NextAttempt Next { get; set; }

    /// <summary>Backoff retries on the current provider (bounded by Upstream:MaxRetries).</summary>
    internal int BackoffRetries { get; set; }

    /// <summary>Moves to another key of the same pool after a 429 (bounded by the pool size).</summary>
    internal int KeySwitches { get; set; }

    /// <summary>Whether a 429 on this attempt may be held back for another key.</summary>
    internal bool MayRetryRateLimit { get; set; }

    internal TimeSpan? CircuitRetryAfter { get; set; }

    /// <summary>Whether the request can be sent again (its body is buffered, or it has none).</summary>
    internal bool Replayable { get; set; }

    /// <summary>Whether a retryable failure on this attempt may be held back for a retry.</summary>
    internal bool MayRetryResponse { get; set; }

    /// <summary>The last retryable failure held back from the client.</summary>
    internal CapturedResponse? HeldFailure { get; set; }

    /// <summary>
    /// Rewrites a successful response's body before the tap (e.g. the model list narrowed to a key's
    /// allowed models); null: the body passes unchanged. The response then goes out chunked.
    /// </summary>
    internal Func<HttpContent, HttpContent>? RewriteSuccess { get; init; }

    /// <summary>The transformer's answer for the current attempt; reset before each one.</summary>
    internal UpstreamAnswer Answer { get; set; }

    public int Attempts { get; internal set; }

    /// <summary>What the forwarding did, as the caller records it (also after a throw mid-forward).</summary>
    public ForwardOutcome Outcome => new(Provider ?? "anthropic", Upstream?.Id, Attempts, Answer.Tap?.Usage, StartTimestamp);

    public void Dispose()
    {
        Body?.Dispose();
        RoutedBody?.Dispose();
        // Only a delivered attempt is tapped, and none follows it: the current answer holds the only tap.
        Answer.Tap?.Dispose();
    }
}

internal enum NextAttempt
{
    None,
    /// <summary>The same provider again after a backoff (5xx, 529 without fallbacks, connect failure).</summary>
    SameProvider,
    /// <summary>Another key of the same pool at once (a 429 from this key).</summary>
    OtherKey,
    /// <summary>The next provider of the route at once (529, connect failure, open circuit, exhausted pool).</summary>
    NextProvider,
}
