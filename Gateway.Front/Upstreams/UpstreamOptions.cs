namespace Gateway.Front.Upstreams;

/// <summary>Where requests go and how hard the gateway tries. Section <c>Upstream</c>.</summary>
public sealed class UpstreamOptions
{
    public const string Section = "Upstream";

    /// <summary>
    /// Base URL of the Anthropic-compatible upstream. Empty (and no <see cref="Providers"/>): only a local run starts,
    /// on the built-in fake upstream (a Debug build in the Development environment; see EmbeddedFakeUpstream).
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>Upstream credentials, sent as <c>x-api-key</c> in place of the client's key.</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>
    /// Named providers, each with its own base URL, key pool and circuit breaker (docs/routing.md).
    /// Empty: <see cref="BaseUrl"/> and <see cref="ApiKeys"/> form one provider named <c>anthropic</c>.
    /// </summary>
    public UpstreamProviderOptions[] Providers { get; set; } = [];

    public KeyPoolOptions Pool { get; set; } = new();

    /// <summary>TCP+TLS connect bound: an unreachable upstream fails in seconds, not minutes.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest silence allowed from the upstream, before the headers or between body chunks.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Total time in which retries may start; past it the last failure goes to the client.</summary>
    public TimeSpan RetryDeadline { get; set; } = TimeSpan.FromSeconds(30);

    public int MaxRetries { get; set; } = 3;

    /// <summary>First backoff delay; doubles per attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(4);

    public BreakerOptions Breaker { get; set; } = new();

    /// <summary>
    /// Pooled connections per upstream host; HTTP/2 multiplexes beyond it. Over HTTP/1.1 every open stream holds
    /// one connection, so this bounds the streams a front keeps open to one upstream (a long Claude Code turn
    /// holds its stream for minutes): the default leaves room for 10,000 (docs/performance.md).
    /// </summary>
    public int MaxConnectionsPerServer { get; set; } = 16384;

    /// <summary>
    /// HTTP version to the upstreams. Empty (the default): negotiated, HTTP/2 over TLS where the upstream offers
    /// it (the Anthropic API does), HTTP/1.1 otherwise. <c>2</c>: HTTP/2 always, with prior knowledge on
    /// <c>http://</c> (h2c, e.g. an in-cluster egress proxy): thousands of streams share a few connections.
    /// <c>1.1</c>: HTTP/1.1 only, one connection and one file descriptor per open stream.
    /// </summary>
    public string? HttpVersion { get; set; }

    /// <summary>The version and policy YARP sends with, from <see cref="HttpVersion"/>.</summary>
    internal (Version Version, HttpVersionPolicy Policy) RequestVersion => HttpVersion switch
    {
        "2" or "2.0" => (System.Net.HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact),
        "1.1" => (System.Net.HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact),
        _ => (System.Net.HttpVersion.Version20, HttpVersionPolicy.RequestVersionOrLower),
    };
}

/// <summary>When to stop calling an upstream that keeps failing, so clients fail fast instead of waiting.</summary>
public sealed class BreakerOptions
{
    public double FailureRatio { get; set; } = 0.5;
    public int MinimumThroughput { get; set; } = 4;
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>One upstream provider. Section <c>Upstream:Providers:N</c>.</summary>
public sealed class UpstreamProviderOptions
{
    public const string AnthropicKind = "anthropic";

    /// <summary>Any OpenAI-compatible Chat Completions endpoint; Messages requests are translated both ways (docs/routing.md).</summary>
    public const string OpenAiKind = "openai";

    /// <summary>Claude on Google Vertex AI: rawPredict/streamRawPredict, Google credentials (docs/providers.md).</summary>
    public const string VertexKind = "vertex";

    /// <summary>Claude on Microsoft Foundry: the Anthropic API at the resource's endpoint, key in <c>api-key</c> (docs/providers.md).</summary>
    public const string FoundryKind = "foundry";

    /// <summary>Claude on Amazon Bedrock: InvokeModel paths, SigV4-signed, eventstream responses (docs/providers.md).</summary>
    public const string BedrockKind = "bedrock";

    public string Name { get; set; } = "";

    /// <summary><c>anthropic</c>: the Anthropic API or any Anthropic-compatible base URL; <c>openai</c>: an OpenAI-compatible one.</summary>
    public string Kind { get; set; } = AnthropicKind;

    /// <summary>Required, except for <c>bedrock</c>, whose default is <c>https://bedrock-runtime.{Region}.amazonaws.com</c>.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>
    /// Credentials of the pool. <c>bedrock</c>: optional Bedrock API keys (sent as <c>Authorization: Bearer</c>); without
    /// any, requests are SigV4-signed with the AWS credentials of the standard chain.
    /// </summary>
    public UpstreamKeyOptions[] Keys { get; set; } = [];

    /// <summary><c>vertex</c>: the Google Cloud project whose Vertex AI quota serves the requests.</summary>
    public string? ProjectId { get; set; }

    /// <summary>
    /// <c>vertex</c>: the location (<c>us-east5</c>, <c>europe-west1</c>, <c>global</c>, ...); <c>bedrock</c>: the AWS region
    /// (e.g. <c>us-east-1</c>), also signed. The default base URL follows it.
    /// </summary>
    public string? Region { get; set; }

    /// <summary>
    /// <c>vertex</c>: a Google credential file (service-account key, or an external-account file for workload
    /// identity federation); empty: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, GKE workload identity, the metadata server).
    /// </summary>
    public string? CredentialsFile { get; set; }

    /// <summary>
    /// <c>bedrock</c>, <c>vertex</c> and <c>foundry</c>: model name as the client sends it → the provider's id (a Bedrock
    /// model id or inference-profile id/ARN, a Vertex model version, a Foundry deployment name). Entries here override
    /// the built-in defaults; ids already in the provider's form pass unchanged.
    /// </summary>
    public Dictionary<string, string> Models { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// <c>bedrock</c> only: the cross-region inference profile put before the built-in ids (<c>us</c>, <c>eu</c>, <c>apac</c>,
    /// <c>global</c>); empty: derived from <see cref="Region"/>; <c>none</c>: base model ids.
    /// </summary>
    public string? InferenceProfile { get; set; }

    /// <summary>Optional: this provider's breaker settings; each one left out takes <c>Upstream:Breaker</c>'s value.</summary>
    public ProviderBreakerOptions? Breaker { get; set; }
}

/// <summary>A provider's own breaker settings (<c>Upstream:Providers:N:Breaker</c>); null fields inherit the shared ones.</summary>
public sealed class ProviderBreakerOptions
{
    public double? FailureRatio { get; set; }
    public int? MinimumThroughput { get; set; }
    public TimeSpan? SamplingDuration { get; set; }
    public TimeSpan? BreakDuration { get; set; }

    public BreakerOptions Over(BreakerOptions shared) => new()
    {
        FailureRatio = FailureRatio ?? shared.FailureRatio,
        MinimumThroughput = MinimumThroughput ?? shared.MinimumThroughput,
        SamplingDuration = SamplingDuration ?? shared.SamplingDuration,
        BreakDuration = BreakDuration ?? shared.BreakDuration,
    };
}

/// <summary>One credential of a provider's pool. <c>Id</c> is what logs, metrics and the audit log show.</summary>
public sealed class UpstreamKeyOptions
{
    /// <summary>Stable, non-secret id; empty: a short hash of the secret (<see cref="UpstreamCredential.From"/>).</summary>
    public string? Id { get; set; }

    public string Secret { get; set; } = "";
}

/// <summary>How a front shares what it learns about upstream keys with the cluster. Section <c>Upstream:Pool</c>.</summary>
public sealed class KeyPoolOptions
{
    /// <summary>How often the local view syncs with the keys' grains (reports sent, views refreshed).</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Cool-down after a 429 that names no retry-after.</summary>
    public TimeSpan DefaultCoolDown { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest cool-down honoured from a retry-after header (a bogus hour-long value is capped).</summary>
    public TimeSpan MaxCoolDown { get; set; } = TimeSpan.FromMinutes(1);
}
