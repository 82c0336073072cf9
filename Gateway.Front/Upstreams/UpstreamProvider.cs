using Polly;
using Polly.CircuitBreaker;

namespace Gateway.Front.Upstreams;

/// <summary>
/// One upstream provider: where it is, its key pool, and its own circuit breaker (a dead provider
/// fails fast without tripping the breakers of the others).
/// </summary>
public sealed class UpstreamProvider
{
    private string? _prefix;

    internal UpstreamProvider(string name, string kind, string? baseUrl, KeyPool pool, BreakerOptions breaker)
    {
        Name = name;
        Kind = kind;
        _prefix = Normalize(baseUrl);
        Pool = pool;
        BreakerSettings = breaker;
        Breaker = new ResiliencePipelineBuilder<AttemptOutcome>()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<AttemptOutcome>
            {
                FailureRatio = breaker.FailureRatio,
                MinimumThroughput = breaker.MinimumThroughput,
                SamplingDuration = breaker.SamplingDuration,
                BreakDuration = breaker.BreakDuration,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is null
                    && args.Outcome.Result is AttemptOutcome.RetryableStatus or AttemptOutcome.ConnectFailure or AttemptOutcome.TimedOut),
            })
            .Build();
    }

    public string Name { get; }

    public string Kind { get; }

    /// <summary>An OpenAI-compatible provider: Messages requests and responses are translated (OpenAi/Provider).</summary>
    public bool IsOpenAi => Kind.Equals(UpstreamProviderOptions.OpenAiKind, StringComparison.OrdinalIgnoreCase);

    /// <summary>Claude on Vertex AI: the URL, credential and body are Vertex's (Clouds/).</summary>
    public bool IsVertex => Kind.Equals(UpstreamProviderOptions.VertexKind, StringComparison.OrdinalIgnoreCase);

    /// <summary>Claude on Microsoft Foundry: Anthropic's API with the key in <c>api-key</c> (Clouds/).</summary>
    public bool IsFoundry => Kind.Equals(UpstreamProviderOptions.FoundryKind, StringComparison.OrdinalIgnoreCase);

    /// <summary>The provider's configuration as bound (null for the flat one-provider configuration).</summary>
    public UpstreamProviderOptions? Settings { get; internal set; }
    /// <summary>Claude on Amazon Bedrock: the body, path, signature and response stream differ (Bedrock/Provider).</summary>
    public bool IsBedrock => Bedrock is not null;

    /// <summary>A <c>bedrock</c> provider's region, model table and credentials; null for other kinds.</summary>
    public Bedrock.Provider.BedrockEndpoint? Bedrock { get; internal init; }

    /// <summary>The breaker settings in force for this provider (its own, or the shared ones).</summary>
    public BreakerOptions BreakerSettings { get; }

    public KeyPool Pool { get; internal set; }

    internal ResiliencePipeline<AttemptOutcome> Breaker { get; }

    /// <summary>Base URL without a trailing slash; YARP appends the request path and query.</summary>
    public string DestinationPrefix => _prefix ?? throw new InvalidOperationException($"Provider '{Name}' has no address.");

    internal bool HasAddress => _prefix is not null;

    internal void SetAddress(Uri address) => _prefix = Normalize(address.ToString());

    internal static string? Normalize(string? url) => string.IsNullOrWhiteSpace(url) ? null : url.TrimEnd('/');
}
