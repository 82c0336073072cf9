using System.Globalization;

namespace Gateway.FakeUpstream;

/// <summary>
/// Writes the <c>anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}</c>
/// headers. Only the request bucket is simulated; token limits are advertised as constant and full so
/// that a gateway learning headroom from them is never misled under benchmark load.
/// </summary>
internal static class AnthropicRateLimitHeaders
{
    public const int InputTokensPerMinute = 2_000_000;
    public const int OutputTokensPerMinute = 400_000;
    public const int TokensPerMinute = InputTokensPerMinute + OutputTokensPerMinute;

    private static readonly string InputLimit = InputTokensPerMinute.ToString(CultureInfo.InvariantCulture);
    private static readonly string OutputLimit = OutputTokensPerMinute.ToString(CultureInfo.InvariantCulture);
    private static readonly string TokensLimit = TokensPerMinute.ToString(CultureInfo.InvariantCulture);

    public static void Write(HttpResponse response, RateLimitWindow requests, DateTimeOffset now)
    {
        var h = response.Headers;
        h["anthropic-ratelimit-requests-limit"] = requests.Limit.ToString(CultureInfo.InvariantCulture);
        h["anthropic-ratelimit-requests-remaining"] = requests.Remaining.ToString(CultureInfo.InvariantCulture);
        h["anthropic-ratelimit-requests-reset"] = Rfc3339(requests.Reset);

        var full = Rfc3339(now);
        h["anthropic-ratelimit-tokens-limit"] = TokensLimit;
        h["anthropic-ratelimit-tokens-remaining"] = TokensLimit;
        h["anthropic-ratelimit-tokens-reset"] = full;
        h["anthropic-ratelimit-input-tokens-limit"] = InputLimit;
        h["anthropic-ratelimit-input-tokens-remaining"] = InputLimit;
        h["anthropic-ratelimit-input-tokens-reset"] = full;
        h["anthropic-ratelimit-output-tokens-limit"] = OutputLimit;
        h["anthropic-ratelimit-output-tokens-remaining"] = OutputLimit;
        h["anthropic-ratelimit-output-tokens-reset"] = full;
    }

    /// <summary>RFC 3339 in UTC at whole seconds, rounded up so a reset is never reported in the past.</summary>
    public static string Rfc3339(DateTimeOffset at)
    {
        var utc = at.UtcDateTime;
        var whole = new DateTime(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        if (whole < utc)
        {
            whole = whole.AddSeconds(1);
        }
        return whole.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }
}
