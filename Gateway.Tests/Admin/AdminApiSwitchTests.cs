using System.Net;
using Gateway.Front.Admin;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Admin;

/// <summary>How the admin API is switched off, refuses a bad token setting, and survives an unreachable cluster (in-memory stores).</summary>
public sealed class AdminApiSwitchTests
{
    [Fact]
    public async Task Without_a_token_the_admin_API_does_not_exist()
    {
        await using var host = await AdminHost.StartAsync(postgres: null, token: "");
        foreach (var token in new string?[] { null, AdminHost.Token, "" })
        {
            using var client = host.CreateClient(token);
            var response = await client.GetAsync("admin/teams");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("not_found_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        }
    }

    [Theory]
    [InlineData("sk-gw-looks-like-a-virtual-key-000000")]
    [InlineData("short")]
    public async Task A_token_that_could_be_confused_or_guessed_stops_the_start(string token)
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => AdminHost.StartAsync(postgres: null, token: token));
        Assert.Contains("Admin:Token", e.Message);
    }

    [Fact]
    public async Task A_change_the_cluster_does_not_acknowledge_still_succeeds_with_a_warning()
    {
        await using var host = await AdminHost.StartAsync(postgres: null, notifier: new RecordingKeyChangeNotifier { Fail = true });
        using var client = host.CreateClient();
        var team = Json.Parse(await (await client.PostAsync("admin/teams", Json.Body("""{"name":"t"}"""))).Content.ReadAsStringAsync());
        var key = Json.Parse(await (await client.PostAsync("admin/keys",
            Json.Body($$"""{"team_id":"{{team.GetProperty("id").GetString()}}","name":"k"}"""))).Content.ReadAsStringAsync());

        var rotated = await client.PostAsync($"admin/keys/{key.GetProperty("id").GetString()}/rotate", null);

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.True(rotated.Headers.Contains(KeyChangePublisher.WarningHeader));
        Assert.StartsWith("sk-gw-", Json.Parse(await rotated.Content.ReadAsStringAsync()).GetProperty("secret").GetString());
    }

    [Fact]
    public async Task A_body_over_64_KiB_is_refused_with_413()
    {
        await using var host = await AdminHost.StartAsync(postgres: null);
        using var client = host.CreateClient();
        var huge = $$"""{"name":"{{new string('x', 70_000)}}"}""";

        // Announced length, and a chunked body that only turns out too long while being read.
        var announced = await client.PostAsync("admin/teams", Json.Body(huge));
        var chunked = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(huge)));
        chunked.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "admin/teams") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        var streamed = await client.SendAsync(request);

        foreach (var response in new[] { announced, streamed })
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("request_too_large", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        }
    }
}
