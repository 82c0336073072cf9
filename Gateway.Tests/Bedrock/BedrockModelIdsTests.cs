using Gateway.Front.Bedrock.Provider;

namespace Gateway.Tests.Bedrock;

public sealed class BedrockModelIdsTests
{
    private static readonly Dictionary<string, string> NoTable = [];

    [Theory]
    [InlineData("claude-sonnet-4-5", "us", "us.anthropic.claude-sonnet-4-5-20250929-v1:0")]
    [InlineData("claude-sonnet-4-5-20250929", "eu", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0")]
    [InlineData("claude-haiku-4-5", null, "anthropic.claude-haiku-4-5-20251001-v1:0")]
    [InlineData("us.anthropic.claude-opus-4-1-20250805-v1:0", "eu", "us.anthropic.claude-opus-4-1-20250805-v1:0")]
    [InlineData("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123", "us", "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123")]
    public void Names_map_to_bedrock_ids_and_bedrock_ids_pass(string model, string? profile, string expected) =>
        Assert.Equal(expected, BedrockModelIds.ToBedrock(model, NoTable, profile));

    [Theory]
    [InlineData("claude-unknown-9")]
    [InlineData("gpt-4o")]
    [InlineData("anthropic.claude x")]
    [InlineData("us.anthropic.claude-sonnet-4-5/../../x")]
    [InlineData("anthropic.claude-sonnet-4-5?x=1")]
    [InlineData("anthropic.claude-sonnet-4-5%2F..")]
    public void Unknown_or_hostile_models_are_not_servable(string model) =>
        Assert.Null(BedrockModelIds.ToBedrock(model, NoTable, "us"));

    [Fact]
    public void The_provider_table_comes_first()
    {
        var table = new Dictionary<string, string> { ["claude-sonnet-4-5"] = "arn:aws:bedrock:eu-west-1:1:application-inference-profile/team-a", ["house-model"] = "anthropic.claude-3-5-haiku-20241022-v1:0" };

        Assert.Equal("arn:aws:bedrock:eu-west-1:1:application-inference-profile/team-a", BedrockModelIds.ToBedrock("claude-sonnet-4-5", table, "us"));
        Assert.Equal("anthropic.claude-3-5-haiku-20241022-v1:0", BedrockModelIds.ToBedrock("house-model", table, "us"));
        Assert.Equal("house-model", BedrockModelIds.FromBedrock("anthropic.claude-3-5-haiku-20241022-v1:0", [table]));
    }

    [Theory]
    [InlineData("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5-20250929")]
    [InlineData("global.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5-20251001")]
    [InlineData("anthropic.claude-opus-4-6-v1", "claude-opus-4-6")]
    [InlineData("us.anthropic.claude-opus-5-5", "claude-opus-5-5")]
    [InlineData("claude-sonnet-4-5", "claude-sonnet-4-5")]
    public void Bedrock_ids_map_back_to_gateway_names(string id, string expected) =>
        Assert.Equal(expected, BedrockModelIds.FromBedrock(id, []));

    [Fact]
    public void The_path_segment_escapes_what_a_path_would_read()
    {
        Assert.Equal("us.anthropic.claude-sonnet-4-5-20250929-v1%3A0", BedrockModelIds.PathSegment("us.anthropic.claude-sonnet-4-5-20250929-v1:0"));
        Assert.Equal("arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Aapplication-inference-profile%2Fx", BedrockModelIds.PathSegment("arn:aws:bedrock:us-east-1:1:application-inference-profile/x"));
    }

    [Theory]
    [InlineData("us-east-1", "us")]
    [InlineData("eu-central-1", "eu")]
    [InlineData("ap-northeast-1", "apac")]
    [InlineData("us-gov-west-1", "us-gov")]
    [InlineData("ca-central-1", null)]
    public void A_region_has_a_default_profile(string region, string? profile) =>
        Assert.Equal(profile, BedrockModelIds.DefaultProfile(region));
}
