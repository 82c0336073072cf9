using Gateway.Front.SelfService;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.SelfService;

/// <summary>The usage cache must exist (it bounds a flood) and stay short (the figures are that old); a bad value stops the start.</summary>
public sealed class SelfServiceOptionsTests
{
    [Theory]
    [InlineData("00:00:00", false)]
    [InlineData("-00:00:01", false)]
    [InlineData("00:00:11", false)]
    [InlineData("00:00:00.250", true)]
    [InlineData("00:00:10", true)]
    public void The_cache_time_is_positive_and_at_most_ten_seconds(string value, bool valid)
    {
        var result = new SelfServiceOptionsValidator().Validate(null, new SelfServiceOptions { CacheTime = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Equal(valid, result.Succeeded);
    }

    [Fact]
    public async Task A_front_with_a_zero_cache_time_does_not_start()
    {
        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(() => FrontHost.StartWithKeysAsync(new Uri("http://127.0.0.1:9/"),
            new Dictionary<string, string?> { ["SelfService:CacheTime"] = "00:00:00" }));
        Assert.Contains("SelfService:CacheTime must be positive and at most", error.Message);
    }
}
