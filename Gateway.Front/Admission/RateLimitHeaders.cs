using System.Globalization;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.Admission;

/// <summary>
/// <c>anthropic-ratelimit-*</c> headers describing the virtual key's own buckets, in Anthropic's
/// format (reset as RFC 3339), so Claude Code and the SDKs back off on the gateway's limits.
/// </summary>
public static class RateLimitHeaders
{
    public static void Write(IHeaderDictionary headers, RateLimitSnapshot? snapshot)
    {
        if (snapshot is null)
        {
            return;
        }
        Write(headers, Requests, snapshot.Requests);
        Write(headers, InputTokens, snapshot.InputTokens);
        Write(headers, OutputTokens, snapshot.OutputTokens);
    }

    // Names built once: they were three interpolated strings per bucket on every admitted response.
    private static readonly Names Requests = new("requests");
    private static readonly Names InputTokens = new("input-tokens");
    private static readonly Names OutputTokens = new("output-tokens");

    private sealed class Names(string bucket)
    {
        public string Limit { get; } = $"anthropic-ratelimit-{bucket}-limit";
        public string Remaining { get; } = $"anthropic-ratelimit-{bucket}-remaining";
        public string Reset { get; } = $"anthropic-ratelimit-{bucket}-reset";
    }

    private static void Write(IHeaderDictionary headers, Names names, BucketLevel? level)
    {
        if (level is not { } l)
        {
            return;
        }
        headers[names.Limit] = l.Limit.ToString(CultureInfo.InvariantCulture);
        headers[names.Remaining] = l.Remaining.ToString(CultureInfo.InvariantCulture);
        headers[names.Reset] = l.Reset.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
    }
}
