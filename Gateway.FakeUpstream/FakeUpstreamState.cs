namespace Gateway.FakeUpstream;

/// <summary>
/// Everything the fake remembers between requests: options, recorded requests, queued faults,
/// per-key rate buckets and the prompt-cache memory. Separate from the server so Program.cs can map
/// the endpoints onto its own app (<see cref="FakeUpstreamServer.Map"/>) and still reach the state.
/// </summary>
public sealed class FakeUpstreamState
{
    public FakeUpstreamState(FakeUpstreamOptions? options = null, TimeProvider? time = null)
    {
        Options = options ?? new FakeUpstreamOptions();
        Time = time ?? TimeProvider.System;
    }

    /// <summary>Read on every request: changes apply to the next request (or the next SSE event).</summary>
    public FakeUpstreamOptions Options { get; }

    /// <summary>Clock for rate buckets, cache TTLs and timestamps; injectable so tests can expire a cache without waiting 5 minutes.</summary>
    public TimeProvider Time { get; }

    public FaultQueue Faults { get; } = new();

    public IReadOnlyList<RecordedRequest> Received => Recorder.Snapshot();

    public void ClearReceived() => Recorder.Clear();

    /// <summary>Forget every cached prompt prefix (the next request with breakpoints writes the cache again).</summary>
    public void ClearPromptCache() => PromptCache.Clear();

    /// <summary>Refill every key's request bucket.</summary>
    public void ClearRateLimits() => RateLimiter.Clear();

    /// <summary>
    /// Requests whose client went away before the fake finished answering (e.g. a gateway that
    /// cancels the upstream call when its own client disconnects). Resets by the fake's own faults
    /// are not counted.
    /// </summary>
    public int AbortedRequests => Volatile.Read(ref _abortedRequests);

    internal void CountAborted() => Interlocked.Increment(ref _abortedRequests);

    /// <summary>429s the per-key limits (<see cref="FakeUpstreamOptions.RequestsPerMinutePerKey"/>) gave: what a pool shares to avoid.</summary>
    public int RateLimitedResponses => Volatile.Read(ref _rateLimitedResponses);

    internal void CountRateLimited() => Interlocked.Increment(ref _rateLimitedResponses);

    /// <summary>TCP connections open to the fake right now (counted when started by <see cref="FakeUpstreamServer"/>).</summary>
    public int OpenConnections => Volatile.Read(ref _openConnections);

    /// <summary>TCP connections accepted since start: with <see cref="OpenConnections"/>, shows whether a client pools or leaks them.</summary>
    public long AcceptedConnections => Interlocked.Read(ref _acceptedConnections);

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _openConnections);
        Interlocked.Increment(ref _acceptedConnections);
    }

    internal void ConnectionClosed() => Interlocked.Decrement(ref _openConnections);

    private int _openConnections;
    private long _acceptedConnections;

    private int _abortedRequests;
    private int _rateLimitedResponses;

    internal RequestRecorder Recorder { get; } = new();
    internal KeyRateLimiter RateLimiter { get; } = new();
    internal PromptCacheSimulator PromptCache { get; } = new();

    /// <summary>Message Batches, per upstream key (the key's organisation).</summary>
    public FakeBatchStore Batches { get; } = new();

    /// <summary>Access tokens the fake Google token endpoint issued (the Vertex routes accept them).</summary>
    public IReadOnlyCollection<string> IssuedGoogleTokens => _googleTokens.Keys.ToArray();

    /// <summary>JWT grants the fake Google token endpoint answered.</summary>
    public int GoogleTokenGrants => Volatile.Read(ref _googleTokenGrants);

    internal void IssueGoogleToken(string token)
    {
        _googleTokens[token] = 0;
        Interlocked.Increment(ref _googleTokenGrants);
    }

    internal bool IsIssuedGoogleToken(string token) => _googleTokens.ContainsKey(token);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _googleTokens = new(StringComparer.Ordinal);
    private int _googleTokenGrants;
}
