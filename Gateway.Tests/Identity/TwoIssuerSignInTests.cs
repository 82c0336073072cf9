using System.Net;
using System.Net.Http.Json;
using Gateway.FakeUpstream;
using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Identity;

/// <summary>
/// Two identity providers configured on one front (say, the company's and a partner's): each signs its own people
/// in, into the team its own mapping names, and the same subject at two issuers is two people, never one key.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class TwoIssuerSignInTests
{
    [Fact]
    public async Task Each_issuer_signs_in_its_own_people_into_its_own_team()
    {
        await using var corp = await OidcTestProvider.StartAsync();
        await using var partners = await OidcTestProvider.StartAsync();
        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ReplyText = "PONG" });
        var settings = corp.GatewaySettings("platform", "corp", index: 0);
        foreach (var (name, value) in partners.GatewaySettings("partner-team", "partners", index: 1))
        {
            settings[name] = value;
        }
        await using var front = await FrontHost.StartWithKeysAsync(upstream.BaseAddress, settings);
        var teams = new Dictionary<string, string>();
        using (var admin = front.CreateAdminClient())
        {
            foreach (var team in new[] { "platform", "partner-team" })
            {
                using var created = await admin.PostAsJsonAsync("admin/teams", new { name = team });
                Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
                teams[team] = Json.Parse(await created.Content.ReadAsStringAsync()).GetProperty("id").GetString()!;
            }
        }

        // With two issuers a device flow must say which.
        using (var http = new HttpClient { BaseAddress = front.BaseAddress })
        {
            using var unnamed = await http.PostAsync("auth/device", new FormUrlEncodedContent([]));
            Assert.Equal(HttpStatusCode.BadRequest, unnamed.StatusCode);
            var message = Json.Parse(await unnamed.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("message").GetString();
            Assert.Contains("corp", message);
            Assert.Contains("partners", message);
        }

        var atCorp = await GatewaySignIn.RunAsync(front.BaseAddress, "alice", "corp");
        var atPartners = await GatewaySignIn.RunAsync(front.BaseAddress, "alice", "partners");

        Assert.Equal(HttpStatusCode.OK, atCorp.Status);
        Assert.Equal(HttpStatusCode.OK, atPartners.Status);
        Assert.Equal(UserKeys.IdFor("corp", "alice"), atCorp.Body.GetProperty("user_id").GetString());
        Assert.Equal(UserKeys.IdFor("partners", "alice"), atPartners.Body.GetProperty("user_id").GetString());
        Assert.NotEqual(UserKeys.IdFor("corp", "alice"), UserKeys.IdFor("partners", "alice"));
        Assert.Equal(teams["platform"], atCorp.Body.GetProperty("team_id").GetString());
        Assert.Equal(teams["partner-team"], atPartners.Body.GetProperty("team_id").GetString());

        foreach (var answer in new[] { atCorp, atPartners })
        {
            using var client = new HttpClient { BaseAddress = front.BaseAddress };
            client.DefaultRequestHeaders.Add("x-api-key", answer.Body.GetProperty("access_token").GetString());
            using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}
