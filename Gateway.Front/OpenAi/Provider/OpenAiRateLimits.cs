using System.Globalization;
using System.Net.Http.Headers;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>
/// Reads OpenAI's rate-limit headers, <c>x-ratelimit-{limit,remaining,reset}-{requests,tokens}</c>,
/// into the same levels the key pool learns from <c>anthropic-ratelimit-*</c>. Resets are durations
/// (<c>1s</c>, <c>6m0s</c>, <c>20ms</c>, <c>1h2m3.5s</c>) from now, not timestamps.
/// </summary>
public static class OpenAiRateLimits
{
    public static UpstreamKeyState? Read(HttpResponseHeaders headers, DateTimeOffset now)
    {
        var requests = Level(headers, "requests", now);
        var tokens = Level(headers, "tokens", now);
        return requests is null && tokens is null ? null : new UpstreamKeyState { ObservedAt = now, Requests = requests, Tokens = tokens };
    }

    private static BucketLevel? Level(HttpResponseHeaders headers, string bucket, DateTimeOffset now)
    {
        if (First(headers, "x-ratelimit-limit-" + bucket) is not { } limitText
            || !long.TryParse(limitText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit)
            || First(headers, "x-ratelimit-remaining-" + bucket) is not { } remainingText
            || !long.TryParse(remainingText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var remaining))
        {
            return null;
        }
        var reset = First(headers, "x-ratelimit-reset-" + bucket) is { } resetText && TryParseDuration(resetText, out var wait) ? now + wait : default;
        return new BucketLevel(limit, remaining, reset);
    }

    /// <summary>A Go-style duration: numbers (decimals allowed) each followed by <c>h</c>, <c>m</c>, <c>s</c> or <c>ms</c>.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var s = text.AsSpan().Trim();
        if (s.IsEmpty)
        {
            return false;
        }
        var total = 0.0;
        while (!s.IsEmpty)
        {
            var digits = 0;
            while (digits < s.Length && (char.IsAsciiDigit(s[digits]) || s[digits] == '.'))
            {
                digits++;
            }
            if (digits == 0 || !double.TryParse(s[..digits], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }
            s = s[digits..];
            if (s.StartsWith("ms")) { total += value / 1000; s = s[2..]; }
            else if (s.StartsWith("h")) { total += value * 3600; s = s[1..]; }
            else if (s.StartsWith("m")) { total += value * 60; s = s[1..]; }
            else if (s.StartsWith("s")) { total += value; s = s[1..]; }
            else if (s.IsEmpty) { total += value; }
            else { return false; }
        }
        duration = TimeSpan.FromSeconds(total);
        return true;
    }

    private static string? First(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
