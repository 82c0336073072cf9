using Gateway.Front.Rewrite;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Rewrite;

public sealed class CacheInjectionOptionsTests
{
    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddCacheInjection(configuration).BuildServiceProvider();
    }

    [Fact]
    public void Defaults_are_on_5m_four_bytes_per_token_and_the_documented_header()
    {
        using var services = Services([]);
        var options = services.GetRequiredService<IOptions<CacheInjectionOptions>>().Value;
        Assert.True(options.Enabled);
        Assert.Null(options.Ttl);
        Assert.Equal(4, options.BytesPerToken);
        Assert.Equal("x-gateway-cache-injection", options.DisableHeader);
        Assert.NotNull(services.GetRequiredService<CacheInjection>());
    }

    [Theory]
    [InlineData("claude-opus-5-5", 512)]
    [InlineData("claude-opus-4-8", 1024)]
    [InlineData("claude-sonnet-4-5-20250929", 1024)]
    [InlineData("claude-opus-4-5-20251101", 4096)]
    [InlineData("claude-opus-4-7", 2048)]
    [InlineData("claude-haiku-4-5", 4096)]
    [InlineData("claude-3-5-haiku-latest", 2048)]
    [InlineData("some-other-model", 1024)]
    public void Built_in_minimums_by_model(string model, int tokens) =>
        Assert.Equal(tokens, new CacheInjector(new CacheInjectionOptions()).MinimumCacheableTokens(model));

    [Fact]
    public void Configured_minimums_come_first_as_a_list_of_globs()
    {
        using var services = Services(new()
        {
            ["CacheInjection:MinimumCacheableTokens:0:Model"] = "claude-opus-5*",
            ["CacheInjection:MinimumCacheableTokens:0:Tokens"] = "2000",
            ["CacheInjection:DefaultMinimumCacheableTokens"] = "300",
        });
        var injector = services.GetRequiredService<CacheInjector>();
        Assert.Equal(2000, injector.MinimumCacheableTokens("claude-opus-5-5"));
        Assert.Equal(4096, injector.MinimumCacheableTokens("claude-haiku-4-5"));
        Assert.Equal(300, injector.MinimumCacheableTokens("claude-sonnet-4-5"));
    }

    [Theory]
    [InlineData("CacheInjection:Ttl", "2h", "CacheInjection:Ttl")]
    [InlineData("CacheInjection:BytesPerToken", "0", "CacheInjection:BytesPerToken")]
    [InlineData("CacheInjection:DisableHeader", "bad header", "CacheInjection:DisableHeader")]
    [InlineData("CacheInjection:DefaultMinimumCacheableTokens", "-1", "CacheInjection:DefaultMinimumCacheableTokens")]
    [InlineData("CacheInjection:MinimumCacheableTokens:0:Tokens", "5", "CacheInjection:MinimumCacheableTokens:0:Model")]
    public void Invalid_settings_fail_at_start_naming_the_key(string key, string value, string named)
    {
        using var services = Services(new() { [key] = value });
        var e = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<CacheInjectionOptions>>().Value);
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void Policy_key_switch_overrides_the_default_and_the_header_can_only_switch_off()
    {
        var on = new CacheInjectionOptions();
        var off = new CacheInjectionOptions { Enabled = false };
        var oneHour = new CacheInjectionOptions { Ttl = "1h" };

        Assert.Same(CachePolicy.Default, CachePolicy.Resolve(on));
        Assert.Same(CachePolicy.Disabled, CachePolicy.Resolve(off));
        Assert.Same(CachePolicy.Default, CachePolicy.Resolve(off, keyEnabled: true));
        Assert.Same(CachePolicy.Disabled, CachePolicy.Resolve(on, keyEnabled: false));
        Assert.Same(CachePolicy.Disabled, CachePolicy.Resolve(on, headerValue: " OFF "));
        Assert.Same(CachePolicy.Default, CachePolicy.Resolve(on, headerValue: "on"));
        Assert.Same(CachePolicy.Disabled, CachePolicy.Resolve(off, headerValue: "on"));
        Assert.Same(CachePolicy.OneHour, CachePolicy.Resolve(oneHour));
        Assert.Same(CachePolicy.FiveMinutes, CachePolicy.Resolve(oneHour, keyTtl: "5m"));
        Assert.True(CachePolicy.OneHour.IsOneHour);
    }

    [Fact]
    public void Resolve_policy_reads_the_configured_header()
    {
        using var services = Services(new() { ["CacheInjection:DisableHeader"] = "x-no-cache-inject" });
        var injection = services.GetRequiredService<CacheInjection>();
        var headers = new HeaderDictionary { ["X-No-Cache-Inject"] = "off" };
        Assert.False(injection.ResolvePolicy(headers).Enabled);
        Assert.True(injection.ResolvePolicy(new HeaderDictionary { ["x-gateway-cache-injection"] = "off" }).Enabled);
    }
}
