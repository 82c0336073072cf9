using System.Net;
using System.Text;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;

namespace Gateway.Tests.Clouds;

/// <summary>
/// A provider of kind <c>foundry</c>: Anthropic's API at the resource's endpoint (<c>…/anthropic</c>), the key in
/// Foundry's <c>api-key</c> header, the model as the deployment name from the provider's <c>Models</c> table.
/// </summary>
public sealed class FoundryProviderTests
{
    [Fact]
    public async Task Messages_go_to_the_resource_endpoint_with_the_api_key_header_and_the_deployment_name()
    {
        await using var foundry = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ApiKeys = ["azure-key-1"] });
        await using var front = await RoutingHost.StartWithKeysAsync(new Dictionary<string, string?>
        {
            ["Upstream:Providers:0:Name"] = "foundry",
            ["Upstream:Providers:0:Kind"] = "foundry",
            // The fake serves /v1 at its root; a real resource is https://{resource}.services.ai.azure.com/anthropic.
            ["Upstream:Providers:0:BaseUrl"] = foundry.BaseAddress.ToString(),
            ["Upstream:Providers:0:Keys:0:Id"] = "foundry-1",
            ["Upstream:Providers:0:Keys:0:Secret"] = "azure-key-1",
            ["Upstream:Providers:0:Models:claude-sonnet-4-5"] = "team-sonnet-deployment",
        });
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        using var client = front.CreateClient(key.Secret);

        using var streamed = await client.PostAsync("v1/messages?beta=true", Json.Body(Json.SmallStreamingRequest));
        using var counted = await client.PostAsync("v1/messages/count_tokens", Json.Body(Json.SmallRequest));

        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.Contains("event: message_stop", await streamed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, counted.StatusCode);
        var sent = foundry.Received.Where(r => r.Method == "POST").ToArray();
        Assert.Equal(["/v1/messages?beta=true", "/v1/messages/count_tokens"], sent.Select(r => r.PathAndQuery));
        Assert.All(sent, r =>
        {
            Assert.Equal("azure-key-1", r.Headers["api-key"]);
            Assert.False(r.Headers.ContainsKey("x-api-key"));
            Assert.False(r.Headers.ContainsKey("Authorization"));
            Assert.Equal("team-sonnet-deployment", Json.Parse(Encoding.UTF8.GetString(r.Body)).GetProperty("model").GetString());
        });
    }
}
