using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Console;

/// <summary>
/// <c>GET /admin/reports/{view}</c>, the console's read of finance's views: real traffic through a real front shows up
/// in them; only allow-listed views answer; <c>days</c> and <c>limit</c> are bounded; the admin token is required.
/// </summary>
public sealed class ReportApiTests(ReportsHost host) : IClassFixture<ReportsHost>
{
    [Fact]
    public async Task Traffic_shows_up_in_every_view_the_console_reads()
    {
        var tenant = await host.TenantAsync();
        var session = "console-report-" + Guid.NewGuid().ToString("N")[..8];
        using (var client = host.Client(tenant.Secret, session))
        {
            for (var i = 0; i < 3; i++)
            {
                using var response = await client.PostAsync("v1/messages", Json.Body(ReportsHost.RequestWithSystem));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
        await host.SettleAsync(tenant);

        var byTeam = await UntilAsync("spend_by_team_day", rows => rows.Any(r => Is(r, "team_id", tenant.TeamId) && r.GetProperty("cost_usd").GetDecimal() > 0));
        var teamRow = byTeam.First(r => Is(r, "team_id", tenant.TeamId));
        Assert.Equal(4, teamRow.GetProperty("requests").GetInt64()); // three and the settling marker
        Assert.Equal(DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd"), teamRow.GetProperty("day").GetString());

        await UntilAsync("spend_by_billing_tag_day", rows => rows.Any(r => Is(r, "billing_tag", "cc-test")));
        var sessions = await UntilAsync("top_sessions", rows => rows.Any(r => Is(r, "session_id", session)));
        var sessionRow = sessions.First(r => Is(r, "session_id", session));
        Assert.Equal(3, sessionRow.GetProperty("requests").GetInt64());
        Assert.Equal(tenant.KeyId, sessionRow.GetProperty("key_id").GetString());
        Assert.True(sessionRow.GetProperty("duration").GetDouble() >= 0);
        await UntilAsync("repeated_prompts", rows => rows.Any(r => r.GetProperty("requests").GetInt64() >= 3));
        await UntilAsync("cache_savings_by_team", rows => rows.Any(r => Is(r, "team_id", tenant.TeamId)));
        await UntilAsync("cache_savings_by_key", rows => rows.Any(r => Is(r, "key_id", tenant.KeyId)));
        var latency = await UntilAsync("latency_by_model", rows => rows.Any(r => Is(r, "model", "claude-sonnet-4-5")));
        Assert.True(latency.First(r => Is(r, "model", "claude-sonnet-4-5")).GetProperty("latency_p50_ms").GetDouble() >= 0);
        await UntilAsync("spend_by_hour_of_day", rows => rows.Any(r => Is(r, "team_id", tenant.TeamId)));
        using var tools = await host.Admin.GetAsync("admin/reports/tool_call_patterns");
        Assert.Equal(HttpStatusCode.OK, tools.StatusCode);

        using var list = await host.Admin.GetAsync("admin/reports");
        var names = Json.Parse(await list.Content.ReadAsStringAsync()).GetProperty("data").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(UsageReportNames.All, names);
    }

    [Fact]
    public async Task The_limit_cuts_the_rows_and_says_there_may_be_more()
    {
        for (var i = 0; i < 2; i++)
        {
            var tenant = await host.TenantAsync();
            using var client = host.Client(tenant.Secret);
            using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await host.SettleAsync(tenant);
        }
        await UntilAsync("spend_by_team_day", rows => rows.Count >= 2);
        using var response1 = await host.Admin.GetAsync("admin/reports/spend_by_team_day?days=1&limit=1");
        var root = Json.Parse(await response1.Content.ReadAsStringAsync());
        Assert.Single(root.GetProperty("data").EnumerateArray());
        Assert.True(root.GetProperty("has_more").GetBoolean());
        Assert.Equal(1, root.GetProperty("days").GetInt32());
        Assert.Equal(DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd"), root.GetProperty("since").GetString());
    }

    [Theory]
    [InlineData("admin/reports/api_keys", HttpStatusCode.NotFound)]
    [InlineData("admin/reports/request_log", HttpStatusCode.NotFound)]
    [InlineData("admin/reports/spend_by_team_day%3B%20DROP%20TABLE%20teams", HttpStatusCode.NotFound)]
    [InlineData("admin/reports/SPEND_BY_TEAM_DAY", HttpStatusCode.NotFound)]
    [InlineData("admin/reports/spend_by_team_day?days=0", HttpStatusCode.BadRequest)]
    [InlineData("admin/reports/spend_by_team_day?days=367", HttpStatusCode.BadRequest)]
    [InlineData("admin/reports/spend_by_team_day?days=-1", HttpStatusCode.BadRequest)]
    [InlineData("admin/reports/spend_by_team_day?days=1e3", HttpStatusCode.BadRequest)]
    [InlineData("admin/reports/spend_by_team_day?days=7&days=8", HttpStatusCode.BadRequest)]
    [InlineData("admin/reports/spend_by_team_day?limit=1001", HttpStatusCode.BadRequest)]
    [InlineData("admin/reports/spend_by_team_day?limit=99999999999999999999", HttpStatusCode.BadRequest)]
    [InlineData("admin/reports/spend_by_team_day?team=x", HttpStatusCode.BadRequest)]
    public async Task Only_allow_listed_views_with_bounded_parameters_answer(string path, HttpStatusCode expected)
    {
        using var response = await host.Admin.GetAsync(path);
        Assert.Equal(expected, response.StatusCode);
        var type = Json.AssertAnthropicError(await response.Content.ReadAsStringAsync());
        Assert.Equal(expected == HttpStatusCode.NotFound ? "not_found_error" : "invalid_request_error", type);
    }

    [Fact]
    public async Task Reports_need_the_admin_token_not_a_virtual_key()
    {
        var tenant = await host.TenantAsync();
        using var anonymous = new HttpClient { BaseAddress = host.Front.BaseAddress };
        using var none = await anonymous.GetAsync("admin/reports/spend_by_team_day");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tenant.Secret);
        using var key = await anonymous.GetAsync("admin/reports/spend_by_team_day");
        Assert.Equal(HttpStatusCode.Unauthorized, key.StatusCode);
        using var post = await host.Admin.PostAsync("admin/reports/spend_by_team_day", Json.Body("{}"));
        Assert.NotEqual(HttpStatusCode.OK, post.StatusCode);
    }

    [Fact]
    public async Task Without_a_usage_database_reports_say_so()
    {
        await using var front = await FrontHost.StartWithKeysAsync(host.Upstream.BaseAddress);
        using var admin = front.CreateAdminClient();
        using var response = await admin.GetAsync("admin/reports/spend_by_team_day");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("usage database", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static bool Is(JsonElement row, string column, string value) =>
        row.GetProperty(column).ValueKind == JsonValueKind.String && row.GetProperty(column).GetString() == value;

    /// <summary>Reads the report until <paramref name="done"/> holds (rollups reach Postgres a moment after the answer).</summary>
    private async Task<List<JsonElement>> UntilAsync(string view, Func<List<JsonElement>, bool> done)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var response = await host.Admin.GetAsync($"admin/reports/{view}?days=2&limit=1000");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            var root = Json.Parse(body);
            Assert.Equal("usage_report", root.GetProperty("type").GetString());
            Assert.Equal(view, root.GetProperty("view").GetString());
            var rows = root.GetProperty("data").EnumerateArray().ToList();
            var columns = root.GetProperty("columns").EnumerateArray().Select(c => c.GetString()).ToArray();
            Assert.All(rows, r => Assert.Equal(columns, r.EnumerateObject().Select(p => p.Name).ToArray()));
            if (done(rows))
            {
                return rows;
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"{view} never showed the traffic: {body}");
            await Task.Delay(100);
        }
    }
}
