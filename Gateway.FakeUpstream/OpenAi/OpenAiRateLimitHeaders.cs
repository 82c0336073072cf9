using System.Globalization;

namespace Gateway.FakeUpstream.OpenAi;

/// <summary>
/// OpenAI's <c>x-ratelimit-{limit,remaining,reset}-{requests,tokens}</c>; resets are Go-style
/// durations (<c>1s</c>, <c>6m0s</c>, <c>120ms</c>). As with the Anthropic headers only the request
/// bucket is simulated; tokens are advertised full.
/// </summary>
internal static class OpenAiRateLimitHeaders
{
    public const int TokensPerMinute = 2_000_000;

    public static void Write(HttpResponse response, RateLimitWindow requests, DateTimeOffset now)
    {
        var h = response.Headers;
        h["x-ratelimit-limit-requests"] = requests.Limit.ToString(CultureInfo.InvariantCulture);
        h["x-ratelimit-remaining-requests"] = requests.Remaining.ToString(CultureInfo.InvariantCulture);
        h["x-ratelimit-reset-requests"] = Duration(requests.Reset - now);
        h["x-ratelimit-limit-tokens"] = TokensPerMinute.ToString(CultureInfo.InvariantCulture);
        h["x-ratelimit-remaining-tokens"] = TokensPerMinute.ToString(CultureInfo.InvariantCulture);
        h["x-ratelimit-reset-tokens"] = "0s";
    }

    public static string Duration(TimeSpan span)
    {
        if (span <= TimeSpan.Zero)
        {
            return "0s";
        }
        if (span < TimeSpan.FromSeconds(1))
        {
            return ((int)Math.Ceiling(span.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
        }
        var minutes = (int)span.TotalMinutes;
        var seconds = Math.Ceiling(span.TotalSeconds - minutes * 60);
        return minutes > 0
            ? $"{minutes.ToString(CultureInfo.InvariantCulture)}m{seconds.ToString(CultureInfo.InvariantCulture)}s"
            : seconds.ToString(CultureInfo.InvariantCulture) + "s";
    }
}
