using Gateway.Front.Upstreams;

namespace Gateway.Tests.Bedrock;

public sealed class BedrockOptionsTests
{
    private static string[] Errors(Action<UpstreamProviderOptions> configure)
    {
        var provider = new UpstreamProviderOptions { Name = "aws", Kind = "bedrock", Region = "us-east-1" };
        configure(provider);
        var result = new UpstreamOptionsValidator().Validate(null, new UpstreamOptions { Providers = [provider] });
        return result.Failed ? result.Failures.ToArray() : [];
    }

    [Fact]
    public void A_region_alone_is_enough_and_the_base_url_defaults_to_the_region()
    {
        Assert.Empty(Errors(_ => { }));
        var directory = new UpstreamDirectory(Microsoft.Extensions.Options.Options.Create(new UpstreamOptions
        {
            Providers = [new UpstreamProviderOptions { Name = "aws", Kind = "bedrock", Region = "eu-west-1" }],
        }));
        var provider = directory.Find("aws")!;
        Assert.Equal("https://bedrock-runtime.eu-west-1.amazonaws.com", provider.DestinationPrefix);
        Assert.True(provider.IsBedrock);
        Assert.Equal("eu", provider.Bedrock!.Profile);
        Assert.Equal("aws-eu-west-1", Assert.Single(provider.Pool.Keys).Credential.Id);
    }

    [Fact]
    public void Bad_settings_are_named()
    {
        Assert.Contains(Errors(p => p.Region = null), e => e.Contains("Providers:0:Region is required"));
        Assert.Contains(Errors(p => p.Region = "US East"), e => e.Contains("Providers:0:Region"));
        Assert.Contains(Errors(p => p.Models["claude-sonnet-4-5"] = "anthropic.x y"), e => e.Contains("Providers:0:Models:claude-sonnet-4-5"));
        Assert.Contains(Errors(p => p.InferenceProfile = "US!"), e => e.Contains("Providers:0:InferenceProfile"));
        Assert.Contains(Errors(p => p.BaseUrl = "ftp://x"), e => e.Contains("Providers:0:BaseUrl"));
        Assert.Contains(Errors(p => { p.Kind = "anthropic"; p.BaseUrl = "https://api.anthropic.com"; p.InferenceProfile = "us"; }), e => e.Contains("applies to Kind 'bedrock' only"));
    }
}
