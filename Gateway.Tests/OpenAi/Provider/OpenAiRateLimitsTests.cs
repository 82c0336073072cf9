using Gateway.Front.OpenAi.Provider;

namespace Gateway.Tests.OpenAi.Provider;

public sealed class OpenAiRateLimitsTests
{
    [Theory]
    [InlineData("1s", 1000)]
    [InlineData("6m0s", 360_000)]
    [InlineData("20ms", 20)]
    [InlineData("1h2m3.5s", 3_723_500)]
    [InlineData("0s", 0)]
    [InlineData("2", 2000)]
    public void Durations_parse(string text, double milliseconds)
    {
        Assert.True(OpenAiRateLimits.TryParseDuration(text, out var duration));
        Assert.Equal(milliseconds, duration.TotalMilliseconds, 3);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("5x")]
    public void Garbage_does_not_parse(string text) => Assert.False(OpenAiRateLimits.TryParseDuration(text, out _));

    [Fact]
    public void Headers_become_request_and_token_levels()
    {
        using var response = new HttpResponseMessage();
        var h = response.Headers;
        h.TryAddWithoutValidation("x-ratelimit-limit-requests", "500");
        h.TryAddWithoutValidation("x-ratelimit-remaining-requests", "499");
        h.TryAddWithoutValidation("x-ratelimit-reset-requests", "120ms");
        h.TryAddWithoutValidation("x-ratelimit-limit-tokens", "30000");
        h.TryAddWithoutValidation("x-ratelimit-remaining-tokens", "29000");
        h.TryAddWithoutValidation("x-ratelimit-reset-tokens", "2s");
        var now = DateTimeOffset.UtcNow;

        var levels = OpenAiRateLimits.Read(h, now)!;
        Assert.Equal(now, levels.ObservedAt);
        Assert.Equal(new(500, 499, now.AddMilliseconds(120)), levels.Requests);
        Assert.Equal(new(30000, 29000, now.AddSeconds(2)), levels.Tokens);
        Assert.Null(OpenAiRateLimits.Read(new HttpResponseMessage().Headers, now));
    }
}
