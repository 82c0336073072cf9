using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using Gateway.FakeUpstream;
using Gateway.Front.Upstreams;
using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Security;

/// <summary>
/// Local-only defaults belong to the Development environment: the well-known key <c>sk-local</c> lives in
/// appsettings.Development.json, and only a Development front (of a Debug build) embeds the fake upstream
/// when none is configured. A front in any other environment without Postgres accepts no well-known key,
/// and one without an upstream refuses to start instead of answering fake 200s.
/// </summary>
public sealed class LocalDefaultsTests
{
    private const string LocalSecret = "sk-local";

    [Fact]
    public async Task A_production_front_without_Postgres_does_not_accept_sk_local()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var front = await AuthSecurityHost.StartAsync(upstream.BaseAddress, postgres: null, environment: "Production");
        using var client = front.CreateClient(LocalSecret);

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("authentication_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        Assert.Empty(await front.Services.GetRequiredService<IKeyStore>().ListKeysAsync(null));
        Assert.Empty(upstream.Received);
    }

    [Fact]
    public async Task A_development_front_accepts_sk_local_through_the_built_in_fake_upstream()
    {
        await using var front = await AuthSecurityHost.StartAsync(upstream: null, postgres: null, environment: "Development");
        using var client = front.CreateClient(LocalSecret);

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Contains("fake upstream", body);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    [InlineData("Testing")]
    public async Task A_front_outside_development_without_an_upstream_fails_at_start_saying_what_to_set(string environment)
    {
        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(() =>
            AuthSecurityHost.StartAsync(upstream: null, postgres: null, environment: environment));

        Assert.Contains("No upstream is configured", error.Message);
        Assert.Contains("Upstream:BaseUrl", error.Message);
        Assert.Contains("Development", error.Message);
    }

    [Fact]
    public async Task A_development_front_with_an_upstream_configured_does_not_embed_the_fake()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var front = await AuthSecurityHost.StartAsync(upstream.BaseAddress, postgres: null, environment: "Development");
        using var client = front.CreateClient(LocalSecret);

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Single(upstream.Received);
        Assert.Equal(upstream.BaseAddress.ToString().TrimEnd('/'), front.Services.GetRequiredService<UpstreamDirectory>().DestinationPrefix);
    }

    [Fact]
    public void Only_the_development_settings_and_dotnet_run_carry_the_local_defaults()
    {
        var front = Path.Combine(RepoPaths.Root, "Gateway.Front");
        var baseSettings = File.ReadAllText(Path.Combine(front, "appsettings.json"));
        Assert.DoesNotContain(LocalSecret, baseSettings);
        Assert.Equal("", JsonDocument.Parse(baseSettings).RootElement.GetProperty("Upstream").GetProperty("BaseUrl").GetString());

        // No setting turns the fake on: the Development environment does, when no upstream is configured.
        var development = JsonDocument.Parse(File.ReadAllText(Path.Combine(front, "appsettings.Development.json"))).RootElement;
        Assert.Equal(LocalSecret, development.GetProperty("Auth").GetProperty("LocalDevSecret").GetString());
        Assert.False(development.TryGetProperty("Upstream", out _));

        // `dotnet run --project Gateway.Front` (the README's first command) runs as Development...
        var launch = JsonDocument.Parse(File.ReadAllText(Path.Combine(front, "Properties", "launchSettings.json"))).RootElement;
        var profile = launch.GetProperty("profiles").EnumerateObject().First().Value;
        Assert.Equal("Project", profile.GetProperty("commandName").GetString());
        Assert.Equal("Development", profile.GetProperty("environmentVariables").GetProperty("ASPNETCORE_ENVIRONMENT").GetString());

        // ...and nothing that deploys it does: the images and manifests leave the environment at Production,
        // and a published image does not even carry the development settings.
        foreach (var file in new[] { "Gateway.Front/Dockerfile", "Gateway.Silo/Dockerfile", "k8s/gateway.yaml" }
            .Select(f => Path.Combine(RepoPaths.Root, f))
            .Concat(Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "helm"), "*.yaml", SearchOption.AllDirectories)))
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain("Development", text);
            Assert.DoesNotContain(LocalSecret, text);
        }
        Assert.Contains("<Content Update=\"appsettings.Development.json\" CopyToPublishDirectory=\"Never\" />",
            File.ReadAllText(Path.Combine(front, "Gateway.Front.csproj")));
    }

    [Fact]
    public void Only_a_debug_build_of_the_front_references_the_fake_upstream()
    {
        var project = XDocument.Load(Path.Combine(RepoPaths.Root, "Gateway.Front", "Gateway.Front.csproj"));
        var reference = Assert.Single(project.Descendants("ProjectReference"),
            r => r.Attribute("Include")!.Value.Contains("Gateway.FakeUpstream", StringComparison.Ordinal));

        Assert.Equal("'$(Configuration)' == 'Debug'", reference.Parent!.Attribute("Condition")?.Value);
        // The Dockerfile restores the graph it publishes (Release), where the fake's project is not needed.
        Assert.Contains("dotnet restore Gateway.Front/Gateway.Front.csproj -p:Configuration=Release",
            File.ReadAllText(Path.Combine(RepoPaths.Root, "Gateway.Front", "Dockerfile")));
    }
}
