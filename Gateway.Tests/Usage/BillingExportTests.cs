using System.Net;
using System.Text;
using Gateway.Tests.Admin;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Usage;

/// <summary>
/// <c>GET /admin/billing/export</c> over HTTP, on a minimal host wired like the front (storage, admin
/// API) against the workload's database: the CSV finance gets, and that the documented psql recipe
/// (the same query through COPY … CSV HEADER) gives the same bytes.
/// </summary>
[Collection(UsageClusterCollection.Name)]
public sealed class BillingExportTests(UsageClusterFixture fixture)
{
    private const string Header =
        "month,billing_tag,team_id,team_name,model,requests,input_tokens,output_tokens,cache_creation_tokens,cache_read_tokens,cost_usd,cache_savings_usd\n";

    [Fact]
    public async Task November_has_one_line_per_tag_team_and_model()
    {
        await using var host = await AdminHost.StartAsync(fixture.Database.ConnectionString);
        using var client = host.CreateClient();
        var w = fixture.Workload;

        using var response = await client.GetAsync("admin/billing/export?month=2026-11");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType.CharSet);
        Assert.Equal("attachment; filename=\"billing-2026-11.csv\"", response.Content.Headers.ContentDisposition!.ToString());
        Assert.Equal(Header +
            $"2026-11,cc-100,{w.Alpha.TeamId},Alpha,claude-haiku-4-5,1,10000,1000,0,0,0.01500000,0.00000000\n" +
            $"2026-11,cc-100,{w.Alpha.TeamId},Alpha,claude-sonnet-4-5,2,1200,600,2000,2000,0.02070000,0.00390000\n" +
            $"2026-11,cc-200,{w.Alpha.TeamId},Alpha,claude-opus-4-5,1,2000,2000,0,10000,0.06500000,0.04500000\n" +
            $"2026-11,,{w.Beta.TeamId},\"Beta, \"\"Inc.\"\"\",claude-sonnet-4-5,1,100000,10000,0,0,0.45000000,0.00000000\n" +
            "2026-11,,,,claude-haiku-4-5,1,0,1000,0,0,0.00500000,0.00000000\n",
            body);

        Assert.Equal(await PsqlRecipeAsync("2026-11-01", null), body);
    }

    [Fact]
    public async Task Without_a_usage_database_the_export_is_a_404_naming_the_setting()
    {
        await using var host = await AdminHost.StartAsync(postgres: null);
        using var client = host.CreateClient();

        using var response = await client.GetAsync("admin/billing/export?month=2026-11");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Postgres:ConnectionString is empty", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_billing_tag_filter_keeps_that_tag_and_an_empty_month_is_just_the_header()
    {
        await using var host = await AdminHost.StartAsync(fixture.Database.ConnectionString);
        using var client = host.CreateClient();
        var w = fixture.Workload;

        var tagged = await client.GetStringAsync("admin/billing/export?month=2026-11&billing_tag=cc-100");
        Assert.Equal(Header +
            $"2026-11,cc-100,{w.Alpha.TeamId},Alpha,claude-haiku-4-5,1,10000,1000,0,0,0.01500000,0.00000000\n" +
            $"2026-11,cc-100,{w.Alpha.TeamId},Alpha,claude-sonnet-4-5,2,1200,600,2000,2000,0.02070000,0.00390000\n",
            tagged);
        Assert.Equal(await PsqlRecipeAsync("2026-11-01", "cc-100"), tagged);

        Assert.Equal(Header + $"2026-12,,{w.Beta.TeamId},\"Beta, \"\"Inc.\"\"\",claude-sonnet-4-5,1,1000,0,0,0,0.00300000,0.00000000\n",
            await client.GetStringAsync("admin/billing/export?month=2026-12"));
        Assert.Equal(Header, await client.GetStringAsync("admin/billing/export?month=2026-10"));
        Assert.Equal(Header, await client.GetStringAsync("admin/billing/export?month=2026-11&billing_tag=nobody"));
    }

    [Theory]
    [InlineData("admin/billing/export")]
    [InlineData("admin/billing/export?month=2026-13")]
    [InlineData("admin/billing/export?month=2026-1")]
    [InlineData("admin/billing/export?month=2026-11-01")]
    [InlineData("admin/billing/export?month=november")]
    [InlineData("admin/billing/export?month=2026-11&month=2026-12")]
    [InlineData("admin/billing/export?month=2026-11&billing_tag=")]
    public async Task A_bad_month_or_tag_is_an_invalid_request(string url)
    {
        await using var host = await AdminHost.StartAsync(fixture.Database.ConnectionString);
        using var client = host.CreateClient();

        using var response = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task The_export_needs_the_admin_token()
    {
        await using var host = await AdminHost.StartAsync(fixture.Database.ConnectionString);
        using var anonymous = host.CreateClient(token: null);
        using var wrong = host.CreateClient(token: "not-the-admin-token");

        foreach (var client in new[] { anonymous, wrong })
        {
            using var response = await client.GetAsync("admin/billing/export?month=2026-11");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("authentication_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        }
    }

    [Fact]
    public async Task Without_a_usage_database_the_export_says_so()
    {
        await using var host = await AdminHost.StartAsync(postgres: null);
        using var client = host.CreateClient();

        using var response = await client.GetAsync("admin/billing/export?month=2026-11");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found_error", Json.AssertAnthropicError(body));
        Assert.Contains("Postgres:ConnectionString", body);
    }

    /// <summary>What the psql recipe in docs/usage-database.md writes: the export's query through COPY … (FORMAT csv, HEADER).</summary>
    private async Task<string> PsqlRecipeAsync(string month, string? billingTag)
    {
        var filter = billingTag is null ? "" : $" AND billing_tag = '{billingTag}'";
        await using var connection = await fixture.DataSource.OpenConnectionAsync();
        using var reader = await connection.BeginTextExportAsync($"""
            COPY (
              SELECT to_char(month, 'YYYY-MM') AS month, billing_tag, team_id, team_name, model, requests, input_tokens,
                     output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, cache_savings_usd
              FROM billing_export_month
              WHERE month = '{month}'{filter}
              ORDER BY billing_tag COLLATE "C" NULLS LAST, team_name COLLATE "C", team_id COLLATE "C", model COLLATE "C"
            ) TO STDOUT WITH (FORMAT csv, HEADER)
            """);
        var text = new StringBuilder();
        text.Append(await reader.ReadToEndAsync());
        return text.ToString();
    }
}
