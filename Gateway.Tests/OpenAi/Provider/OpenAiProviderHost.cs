using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;

namespace Gateway.Tests.OpenAi.Provider;

/// <summary>
/// One fake upstream serving both APIs (Messages and Chat Completions) behind two providers: <c>anthropic</c>
/// (kind anthropic) for everything, and <c>oai</c> (kind openai) for the models a rule sends there.
/// </summary>
internal static class OpenAiProviderHost
{
    public const string AnthropicKey = "sk-ant-upstream";
    public const string OpenAiKey = "sk-oai-upstream";

    public static Dictionary<string, string?> Providers(Uri upstream, string openAiMatch = "gpt-*") => RoutingHost.Merge(
        RoutingHost.Provider(0, "anthropic", upstream, ("ant-1", AnthropicKey)),
        RoutingHost.Provider(1, "oai", upstream, ("oai-1", OpenAiKey)),
        new Dictionary<string, string?>
        {
            ["Upstream:Providers:1:Kind"] = "openai",
            ["Routing:Rules:0:Match"] = openAiMatch,
            ["Routing:Rules:0:Provider"] = "oai",
        });

    public static Task<FrontHost> StartPassThroughAsync(Uri upstream, IDictionary<string, string?>? extra = null) =>
        RoutingHost.StartPassThroughAsync(Providers(upstream), extra ?? new Dictionary<string, string?>());
}
