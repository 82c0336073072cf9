using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;

namespace Gateway.Tests.Bedrock;

/// <summary>
/// Fronts with a <c>bedrock</c> provider pointed at the fake Bedrock (and an <c>anthropic</c> provider on the same fake
/// for models no rule sends to Bedrock). The AWS credentials come from the standard chain's first link, the
/// environment, set once for the test process to the fake's access key.
/// </summary>
internal static class BedrockHost
{
    public const string Region = "us-east-1";

    public const string AnthropicKey = "sk-ant-upstream";

    /// <summary>What the default table sends <c>claude-sonnet-4-5</c> to in a <c>us-*</c> region.</summary>
    public const string SonnetId = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

    private static readonly Lock Gate = new();

    /// <summary>The fake's access key in the environment: what the SDK's default chain reads first.</summary>
    public static void UseFakeCredentials()
    {
        lock (Gate)
        {
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", FakeUpstreamOptions.DefaultBedrockAccessKey);
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", FakeUpstreamOptions.DefaultBedrockSecret);
            Environment.SetEnvironmentVariable("AWS_SESSION_TOKEN", null);
            // No instance-metadata probe from a test machine.
            Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        }
    }

    /// <param name="bedrockMatch">The models a rule sends to the <c>bedrock</c> provider.</param>
    public static Dictionary<string, string?> Providers(Uri upstream, string bedrockMatch = "claude-sonnet-*", params (string Id, string Secret)[] bedrockKeys)
    {
        UseFakeCredentials();
        var settings = RoutingHost.Merge(
            RoutingHost.Provider(0, "anthropic", upstream, ("ant-1", AnthropicKey)),
            RoutingHost.Provider(1, "aws", upstream, bedrockKeys),
            new Dictionary<string, string?>
            {
                ["Upstream:Providers:1:Kind"] = "bedrock",
                ["Upstream:Providers:1:Region"] = Region,
                ["Routing:Rules:0:Match"] = bedrockMatch,
                ["Routing:Rules:0:Provider"] = "aws",
                // Ids already in Bedrock's form (what Claude Code sends in Bedrock mode) go there too.
                ["Routing:Rules:1:Match"] = "*anthropic.claude-*",
                ["Routing:Rules:1:Provider"] = "aws",
            });
        return settings;
    }

    public static Task<FrontHost> StartPassThroughAsync(Uri upstream, IDictionary<string, string?>? extra = null) =>
        RoutingHost.StartPassThroughAsync(Providers(upstream), extra ?? new Dictionary<string, string?>());
}
