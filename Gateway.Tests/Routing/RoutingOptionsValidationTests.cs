using Microsoft.Extensions.Options;

namespace Gateway.Tests.Routing;

/// <summary>Bad provider or routing settings stop the start with a message naming the key.</summary>
public sealed class RoutingOptionsValidationTests
{
    private static readonly Uri Somewhere = new("http://127.0.0.1:9/");

    public static TheoryData<Dictionary<string, string?>, string> Cases => new()
    {
        { new() { ["Upstream:Providers:0:BaseUrl"] = "not a url" }, "Upstream:Providers:0:BaseUrl must be an absolute http(s) URL" },
        { new() { ["Upstream:Providers:0:Kind"] = "gemini" }, "Upstream:Providers:0:Kind must be 'anthropic' (the Anthropic API or an Anthropic-compatible base URL), 'openai'" },
        { new() { ["Upstream:Providers:0:Kind"] = "vertex", ["Upstream:Providers:0:Region"] = "us-east5" }, "Upstream:Providers:0:ProjectId is required for a vertex provider" },
        { new() { ["Upstream:Providers:0:Kind"] = "vertex", ["Upstream:Providers:0:ProjectId"] = "p-1", ["Upstream:Providers:0:Region"] = "us-east5/../x" }, "Upstream:Providers:0:Region is required for a vertex provider" },
        { new() { ["Upstream:Providers:0:Kind"] = "vertex", ["Upstream:Providers:0:ProjectId"] = "p-1", ["Upstream:Providers:0:Region"] = "us-east5", ["Upstream:Providers:0:CredentialsFile"] = "/nonexistent/key.json" }, "Upstream:Providers:0:CredentialsFile '/nonexistent/key.json' does not exist" },
        { new() { ["Upstream:Providers:0:Kind"] = "sagemaker" }, "Upstream:Providers:0:Kind must be 'anthropic' (the Anthropic API or an Anthropic-compatible base URL), 'openai'" },
        { new() { ["Upstream:Providers:0:Kind"] = "bedrock" }, "Upstream:Providers:0:Region is required for a bedrock provider" },
        { new() { ["Upstream:Providers:0:Breaker:FailureRatio"] = "2" }, "Upstream:Providers:0:Breaker:FailureRatio must be in (0, 1], got 2" },
        { new() { ["Upstream:Providers:0:Breaker:BreakDuration"] = "00:00:00" }, "Upstream:Providers:0:Breaker:BreakDuration must be a positive time span" },
        { new() { ["Upstream:Providers:0:Breaker:MinimumThroughput"] = "1" }, "Upstream:Providers:0:Breaker:MinimumThroughput must be at least 2, got 1" },
        { new() { ["Upstream:Providers:0:Name"] = "" }, "Upstream:Providers:0:Name is required" },
        { new() { ["Upstream:Providers:1:Name"] = "main", ["Upstream:Providers:1:BaseUrl"] = "http://127.0.0.1:9/" }, "Upstream:Providers:1:Name 'main' is used by another provider" },
        { new() { ["Upstream:Providers:0:Keys:1:Secret"] = "" }, "Upstream:Providers:0:Keys:1:Secret is empty" },
        { new() { ["Upstream:Providers:0:Keys:1:Id"] = "k1", ["Upstream:Providers:0:Keys:1:Secret"] = "sk-2" }, "Upstream:Providers:0:Keys:1:Id 'k1' is used by another key" },
        { new() { ["Upstream:Providers:0:Keys:0:Id"] = "has space" }, "Upstream:Providers:0:Keys:0:Id must be letters, digits" },
        { new() { ["Upstream:BaseUrl"] = "http://127.0.0.1:9/" }, "Upstream:Providers and Upstream:BaseUrl/Upstream:ApiKeys are alternatives" },
        { new() { ["Upstream:Pool:SyncInterval"] = "00:00:00" }, "Upstream:Pool:SyncInterval must be a positive time span" },
        { new() { ["Routing:Rules:0:Match"] = "claude-*", ["Routing:Rules:0:Provider"] = "nope" }, "Routing:Rules:0:Provider names an unknown provider 'nope' (configured: main)" },
        { new() { ["Routing:Rules:0:Match"] = "", ["Routing:Rules:0:Provider"] = "main" }, "Routing:Rules:0:Match is required" },
        { new() { ["Routing:Rules:0:Match"] = "x", ["Routing:Rules:0:Provider"] = "main", ["Routing:Rules:0:Fallbacks:0"] = "gone" }, "Routing:Rules:0:Fallbacks:0 names an unknown provider 'gone'" },
        { new() { ["Routing:Rules:0:Match"] = "x", ["Routing:Rules:0:Provider"] = "main", ["Routing:Rules:0:Fallbacks:0"] = "main" }, "Routing:Rules:0:Fallbacks:0 is the rule's own provider" },
        { new() { ["Routing:Rules:0:Match"] = "x", ["Routing:Rules:0:Provider"] = "main", ["Routing:Rules:0:Weight"] = "0" }, "Routing:Rules:0:Weight must be positive" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_value_fails_start_naming_the_key(Dictionary<string, string?> change, string message)
    {
        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(() =>
            RoutingHost.StartPassThroughAsync(RoutingHost.Provider(0, "main", Somewhere, ("k1", "sk-1")), change));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task Virtual_keys_need_a_key_in_every_provider()
    {
        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(() => RoutingHost.StartWithKeysAsync(
            RoutingHost.Provider(0, "main", Somewhere, ("k1", "sk-1")),
            RoutingHost.Provider(1, "spare", Somewhere)));
        Assert.Contains("Upstream:Providers:1:Keys must name at least one upstream key for provider 'spare'", error.Message);
    }
}
