namespace Gateway.Front.FakeUpstream;

/// <summary>The request-bucket state reported in <c>anthropic-ratelimit-requests-*</c>.</summary>
/// <param name="Reset">When the bucket is full again (Anthropic's meaning of <c>-reset</c>).</param>
internal readonly record struct RateLimitSnapshot(int Limit, int Remaining, DateTimeOffset Reset);
