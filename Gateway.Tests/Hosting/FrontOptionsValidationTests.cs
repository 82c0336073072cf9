using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Hosting;

/// <summary>Bad front settings stop the start with a message naming the key.</summary>
public sealed class FrontOptionsValidationTests
{
    [Theory]
    [InlineData("Upstream:BaseUrl", "not a url", "Upstream:BaseUrl must be an absolute http(s) URL")]
    [InlineData("Upstream:MaxRetries", "50", "Upstream:MaxRetries must be between 0 and 10")]
    [InlineData("Upstream:ConnectTimeout", "-00:00:01", "Upstream:ConnectTimeout must be a positive time span")]
    [InlineData("Gateway:MaxRequestBodyBytes", "10", "Gateway:MaxRequestBodyBytes must be between")]
    [InlineData("Auth:CacheTime", "00:00:05", "Auth:CacheTime must be positive and at most 00:00:01")]
    [InlineData("Admission:LeaseDuration", "00:00:03", "Admission:LeaseDuration must be positive and at most 00:00:01")]
    [InlineData("Admission:SessionCheckInterval", "00:00:11", "Admission:SessionCheckInterval must be between")]
    public async Task A_bad_value_fails_start_naming_the_key(string key, string value, string message)
    {
        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(() =>
            FrontHost.StartAsync(new Uri("http://127.0.0.1:9/"), new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task Virtual_keys_with_a_real_upstream_but_no_upstream_key_fail_start()
    {
        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(() => FrontHost.StartAsync(new Dictionary<string, string?>
        {
            ["Upstream:BaseUrl"] = "https://api.anthropic.example/",
            ["Auth:Mode"] = "VirtualKeys",
            ["Cluster:Mode"] = "Embedded",
            ["Cluster:SiloPort"] = "45871",
            ["Cluster:GatewayPort"] = "45872",
        }));
        Assert.Contains("Upstream:ApiKeys must name at least one upstream key", error.Message);
    }
}
