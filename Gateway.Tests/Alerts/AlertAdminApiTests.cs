using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Alerts;

/// <summary><c>/admin/alerts</c> on a real front: create, list, read, update, delete, deliveries; every bad input a 400 in Anthropic's shape.</summary>
public sealed class AlertAdminApiTests(AlertFrontFixture fixture) : IClassFixture<AlertFrontFixture>
{
    [Fact]
    public async Task A_rule_is_created_read_listed_updated_and_deleted()
    {
        using var admin = fixture.Front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin, limits: new { daily_budget_usd = 25 });
        var url = fixture.Hook.Url("services/T0/B0/secret-part");

        using var created = await admin.PostAsJsonAsync("admin/alerts", new { name = "ci spend", scope = "key", target_id = key.KeyId, period = "day", webhook_url = url });
        var body = await created.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var rule = Json.Parse(body);
        var id = rule.GetProperty("id").GetString()!;
        Assert.StartsWith("alr_", id, StringComparison.Ordinal);
        Assert.Equal($"/admin/alerts/{id}", created.Headers.Location?.ToString());
        Assert.Equal("alert_rule", rule.GetProperty("type").GetString());
        Assert.Equal([50, 80, 100], rule.GetProperty("thresholds").EnumerateArray().Select(t => t.GetInt32()));
        Assert.Equal(JsonValueKind.Null, rule.GetProperty("budget_usd").ValueKind);
        Assert.True(rule.GetProperty("enabled").GetBoolean());
        // The URL's secret path is not shown again.
        Assert.Equal($"http://{fixture.Hook.BaseAddress.Authority}/…", rule.GetProperty("webhook_url").GetString());
        Assert.DoesNotContain("secret-part", body, StringComparison.Ordinal);

        var read = Json.Parse(await admin.GetStringAsync($"admin/alerts/{id}"));
        Assert.Equal("ci spend", read.GetProperty("name").GetString());
        var listed = Json.Parse(await admin.GetStringAsync($"admin/alerts?scope=key&target_id={key.KeyId}")).GetProperty("data");
        Assert.Equal(id, Assert.Single(listed.EnumerateArray()).GetProperty("id").GetString());
        Assert.Empty(Json.Parse(await admin.GetStringAsync("admin/alerts?target_id=key_000000000000")).GetProperty("data").EnumerateArray());

        using var patched = await admin.PatchAsJsonAsync($"admin/alerts/{id}", new { thresholds = new[] { 90, 75 }, budget_usd = 12.5, enabled = false });
        var patchedBody = Json.Parse(await patched.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal([75, 90], patchedBody.GetProperty("thresholds").EnumerateArray().Select(t => t.GetInt32()));
        Assert.Equal(12.5m, patchedBody.GetProperty("budget_usd").GetDecimal());
        Assert.False(patchedBody.GetProperty("enabled").GetBoolean());
        Assert.Equal("ci spend", patchedBody.GetProperty("name").GetString());

        var deliveries = Json.Parse(await admin.GetStringAsync($"admin/alerts/{id}/deliveries"));
        Assert.Empty(deliveries.GetProperty("data").EnumerateArray());

        using var deleted = await admin.DeleteAsync($"admin/alerts/{id}");
        var deletedBody = Json.Parse(await deleted.Content.ReadAsStringAsync());
        Assert.Equal(("alert_rule_deleted", id), (deletedBody.GetProperty("type").GetString(), deletedBody.GetProperty("id").GetString()));
        using var gone = await admin.GetAsync($"admin/alerts/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("not_found_error", Json.AssertAnthropicError(await gone.Content.ReadAsStringAsync()));
        using var goneAgain = await admin.DeleteAsync($"admin/alerts/{id}");
        Assert.Equal(HttpStatusCode.NotFound, goneAgain.StatusCode);
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"scope":"key","target_id":"KEY","period":"day","webhook_url":"URL","color":"red"}""", "Unknown field 'color'" },
        { """{"target_id":"KEY","period":"day","webhook_url":"URL"}""", "scope is required" },
        { """{"scope":"org","target_id":"KEY","period":"day","webhook_url":"URL"}""", "scope must be" },
        { """{"scope":"key","target_id":"KEY","webhook_url":"URL"}""", "period is required" },
        { """{"scope":"key","target_id":"KEY","period":"week","webhook_url":"URL"}""", "period must be" },
        { """{"scope":"key","target_id":"KEY","period":"day"}""", "webhook_url is required" },
        { """{"scope":"key","target_id":"KEY","period":"day","webhook_url":"URL","thresholds":[]}""", "thresholds must be" },
        { """{"scope":"key","target_id":"KEY","period":"day","webhook_url":"URL","thresholds":[0]}""", "thresholds must be" },
        { """{"scope":"key","target_id":"KEY","period":"day","webhook_url":"URL","thresholds":[1001]}""", "thresholds must be" },
        { """{"scope":"key","target_id":"KEY","period":"day","webhook_url":"URL","thresholds":[50,50]}""", "thresholds must be" },
        { """{"scope":"key","target_id":"KEY","period":"day","webhook_url":"URL","thresholds":[50.5]}""", "thresholds must be" },
        { """{"scope":"key","target_id":"KEY","period":"day","webhook_url":"URL","thresholds":[1,2,3,4,5,6,7,8,9,10,11]}""", "thresholds must be" },
        { """{"scope":"key","target_id":"KEY","period":"day","webhook_url":"URL","budget_usd":0}""", "budget_usd must be more than 0" },
        { """{"scope":"key","target_id":"KEY","period":"day","webhook_url":"URL","budget_usd":-1}""", "budget_usd must be a non-negative" },
        { """{"scope":"key","target_id":"KEY","period":"day","webhook_url":"URL","enabled":null}""", "enabled must be true or false" },
        { """{"scope":"key","target_id":"KEY","period":"day","webhook_url":"ftp://127.0.0.1/x"}""", "webhook_url must be an absolute http or https URL" },
        { """{"scope":"key","target_id":"KEY","period":"day","webhook_url":"https://evil.example.com/x"}""", "not in Alerts:AllowedWebhookHosts" },
        { """{"scope":"key","target_id":"KEY","period":"day","webhook_url":"http://169.254.169.254/latest/meta-data"}""", "not in Alerts:AllowedWebhookHosts" },
        { """{"scope":"key","target_id":"KEY","period":"day","webhook_url":"https://u:p@a.hooks.example/x"}""", "credentials" },
        { """{"scope":"key","target_id":"KEY","period":"day","webhook_url":"https://a.hooks.example/LONG"}""", "at most 2048 characters" },
        { """{"scope":"key","target_id":"key_000000000000","period":"day","webhook_url":"URL"}""", "does not name a key" },
        { """{"scope":"key","target_id":"KEY","period":"month","webhook_url":"URL"}""", "has no monthly budget of its own" },
        { """{"scope":"user","target_id":"KEY","period":"day","webhook_url":"URL"}""", "must be a user's key id" },
        { """{"scope":"team","target_id":"TEAM","period":"day","webhook_url":"URL"}""", "budget_usd is required for a team rule" },
        { """{"scope":"team","target_id":"team_000000000000","period":"day","webhook_url":"URL","budget_usd":5}""", "does not name a team" },
        { """[1,2]""", "must be a JSON object" },
        { """{"scope":""", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_rule_is_refused_with_a_400_naming_the_problem(string template, string expected)
    {
        using var admin = fixture.Front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin, limits: new { daily_budget_usd = 10 });
        var body = template.Replace("KEY", key.KeyId, StringComparison.Ordinal).Replace("TEAM", key.TeamId, StringComparison.Ordinal)
            .Replace("\"URL\"", JsonSerializer.Serialize(fixture.Hook.Url("hook")), StringComparison.Ordinal)
            .Replace("LONG", new string('a', 2100), StringComparison.Ordinal);

        using var response = await admin.PostAsync("admin/alerts", Json.Body(body));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", Json.AssertAnthropicError(text));
        Assert.Contains(expected, Json.Parse(text).GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_update_is_checked_as_the_rule_it_would_make()
    {
        using var admin = fixture.Front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin, limits: new { daily_budget_usd = 10 });
        using var created = await admin.PostAsJsonAsync("admin/alerts", new { scope = "team", target_id = key.TeamId, period = "month", budget_usd = 100, webhook_url = fixture.Hook.Url("t") });
        var id = Json.Parse(await created.Content.ReadAsStringAsync()).GetProperty("id").GetString()!;

        async Task<string> RefusedAsync(object patch)
        {
            using var response = await admin.PatchAsJsonAsync($"admin/alerts/{id}", patch);
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return Json.Parse(text).GetProperty("error").GetProperty("message").GetString()!;
        }

        Assert.Contains("budget_usd is required for a team rule", await RefusedAsync(new { budget_usd = (decimal?)null }), StringComparison.Ordinal);
        Assert.Contains("AllowedWebhookHosts", await RefusedAsync(new { webhook_url = "https://hooks.slack.com/services/x" }), StringComparison.Ordinal);
        Assert.Contains("Unknown field 'scope'", await RefusedAsync(new { scope = "key" }), StringComparison.Ordinal);
        using var missing = await admin.PatchAsJsonAsync("admin/alerts/alr_000000000000", new { enabled = false });
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Without_the_admin_token_nothing_is_shown()
    {
        using var client = new HttpClient { BaseAddress = fixture.Front.BaseAddress };
        using var response = await client.GetAsync("admin/alerts");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("authentication_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Without_Postgres_the_alert_api_says_it_needs_the_usage_database()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var front = await FrontHost.StartWithKeysAsync(upstream.BaseAddress);
        using var admin = front.CreateAdminClient();
        using var response = await admin.GetAsync("admin/alerts");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found_error", Json.AssertAnthropicError(text));
        Assert.Contains("usage database", text, StringComparison.Ordinal);
    }
}
