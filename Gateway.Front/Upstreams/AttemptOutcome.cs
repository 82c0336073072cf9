namespace Gateway.Front.Upstreams;

/// <summary>How one upstream attempt ended, as the retry and breaker strategies see it.</summary>
internal enum AttemptOutcome
{
    /// <summary>The response (success or a non-retryable error) went to the client.</summary>
    Delivered,

    /// <summary>A 5xx or 529 was held back; the client has seen nothing yet.</summary>
    RetryableStatus,

    /// <summary>No response headers: refused or failed connect, reset, or DNS failure.</summary>
    ConnectFailure,

    /// <summary>The upstream stayed silent past the idle timeout before answering.</summary>
    TimedOut,

    /// <summary>The client went away; nothing more to do and nothing to blame on the upstream.</summary>
    ClientAborted,

    /// <summary>A 429 from one pooled key was held back so another key can take the request.</summary>
    RateLimited,

    /// <summary>The provider's circuit is open: nothing was sent.</summary>
    CircuitOpen,

    /// <summary>Every key of the provider's pool is cooling down: nothing was sent.</summary>
    PoolExhausted,
}
