using System.Globalization;
using System.Net.Http.Headers;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.Upstreams;

/// <summary>
/// Reads what an Anthropic response says about its key: the
/// <c>anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}</c>
/// headers (or OpenAI's <c>x-ratelimit-*</c>, <see cref="OpenAi.Provider.OpenAiRateLimits"/>) and <c>retry-after</c> (seconds) / <c>retry-after-ms</c>.
/// </summary>
internal static class RateLimitObservation
{
    public static UpstreamKeyState? Read(HttpResponseHeaders headers, DateTimeOffset now)
    {
        var requests = Level(headers, Requests);
        var tokens = Level(headers, Tokens);
        var input = Level(headers, Input);
        var output = Level(headers, Output);
        if (requests is null && tokens is null && input is null && output is null)
        {
            // An OpenAI-compatible provider describes its key with x-ratelimit-* instead.
            return OpenAi.Provider.OpenAiRateLimits.Read(headers, now);
        }
        return new UpstreamKeyState { ObservedAt = now, Requests = requests, Tokens = tokens, InputTokens = input, OutputTokens = output };
    }

    /// <summary>
    /// Whether a 429's own levels show every bucket they describe with room left: the request was refused
    /// for its own size (say, over the input-token limit), not because the key is spent. No levels: unknown, false.
    /// </summary>
    public static bool ShowsRoom(UpstreamKeyState? levels) =>
        levels is not null
        && (levels.Requests is not null || levels.Tokens is not null || levels.InputTokens is not null || levels.OutputTokens is not null)
        && HasRoom(levels.Requests) && HasRoom(levels.Tokens) && HasRoom(levels.InputTokens) && HasRoom(levels.OutputTokens);

    private static bool HasRoom(BucketLevel? level) => level is not { } b || b.Remaining > 0;

    public static TimeSpan? RetryAfter(HttpResponseHeaders headers)
    {
        if (First(headers, "retry-after-ms") is { } ms && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis) && millis >= 0)
        {
            return TimeSpan.FromMilliseconds(millis);
        }
        if (First(headers, "retry-after") is { } value)
        {
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            {
                return TimeSpan.FromSeconds(seconds);
            }
            if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                var wait = at - DateTimeOffset.UtcNow;
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }
        return null;
    }

    private sealed record Names(string Limit, string Remaining, string Reset)
    {
        public static Names Of(string bucket) =>
            new("anthropic-ratelimit-" + bucket + "-limit", "anthropic-ratelimit-" + bucket + "-remaining", "anthropic-ratelimit-" + bucket + "-reset");
    }

    private static readonly Names Requests = Names.Of("requests");
    private static readonly Names Tokens = Names.Of("tokens");
    private static readonly Names Input = Names.Of("input-tokens");
    private static readonly Names Output = Names.Of("output-tokens");

    private static BucketLevel? Level(HttpResponseHeaders headers, Names bucket)
    {
        if (First(headers, bucket.Limit) is not { } limitText
            || !long.TryParse(limitText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit)
            || First(headers, bucket.Remaining) is not { } remainingText
            || !long.TryParse(remainingText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var remaining))
        {
            return null;
        }
        var reset = First(headers, bucket.Reset) is { } resetText
            && DateTimeOffset.TryParse(resetText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var r) ? r : default;
        return new BucketLevel(limit, remaining, reset);
    }

    /// <summary>
    /// The header's first value through the non-validated view: a struct over the stored string, where
    /// TryGetValues parsed and copied into an array on every response (see docs/performance.md).
    /// </summary>
    private static string? First(HttpResponseHeaders headers, string name)
    {
        if (!headers.NonValidated.TryGetValues(name, out var values))
        {
            return null;
        }
        foreach (var value in values)
        {
            return value;
        }
        return null;
    }
}
