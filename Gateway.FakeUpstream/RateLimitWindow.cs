namespace Gateway.FakeUpstream;

/// <summary>
/// One key's request bucket as the fake reports it in its rate-limit headers
/// (<c>anthropic-ratelimit-requests-*</c>, <c>x-ratelimit-*-requests</c>).
/// </summary>
/// <param name="Reset">When the bucket is full again (Anthropic's meaning of <c>-reset</c>).</param>
internal readonly record struct RateLimitWindow(int Limit, int Remaining, DateTimeOffset Reset);
