namespace Gateway.Front.Forwarding;

/// <summary>Where requests go and how hard the gateway tries. Section <c>Upstream</c>.</summary>
public sealed class UpstreamOptions
{
    public const string Section = "Upstream";

    /// <summary>Base URL of the Anthropic-compatible upstream. Empty: the built-in fake upstream (local runs).</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Upstream credentials, sent as <c>x-api-key</c> in place of the client's key.</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>Start the in-process fake upstream when neither a base URL nor a key is configured.</summary>
    public bool UseFakeUpstreamWhenUnconfigured { get; set; } = true;

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

    /// <summary>Pooled connections per upstream host; HTTP/2 multiplexes beyond it.</summary>
    public int MaxConnectionsPerServer { get; set; } = 1024;
}

/// <summary>When to stop calling an upstream that keeps failing, so clients fail fast instead of waiting.</summary>
public sealed class BreakerOptions
{
    public double FailureRatio { get; set; } = 0.5;
    public int MinimumThroughput { get; set; } = 4;
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}
