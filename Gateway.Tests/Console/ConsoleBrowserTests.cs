using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Console;

/// <summary>
/// The console in a real browser against a real front (virtual keys, Postgres, the fake upstream): an administrator
/// signs in with the admin token, creates a team and a key through the pages, reads the secret shown once, and the
/// key then serves real requests whose usage the key's page shows as it polls; the spend and report pages plot and
/// list the settled usage; a limit changed and the secret rotated through the key's page take effect (the old secret
/// refused, the new one shown once and serving); revoking the key through its page makes its next request refused. No fixed sleeps: every
/// wait is for a condition. Screenshots: see <see cref="Screenshots"/>.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ConsoleBrowserTests(ReportsHost host, ITestOutputHelper output) : IClassFixture<ReportsHost>
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task An_admin_signs_in_creates_a_team_and_key_watches_usage_rotates_and_revokes_it()
    {
        var (playwright, browser) = await ConsoleBrowser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)s_wait.TotalMilliseconds);
        var problems = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                problems.Add(message.Text);
            }
        };
        page.PageError += (_, error) => problems.Add(error);
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        var shots = new Screenshots();
        output.WriteLine($"screenshots: {shots.Folder}");

        // :: Sign in (a wrong token first: refused, nothing kept).
        await page.GotoAsync(new Uri(host.Front.BaseAddress, "console/").ToString());
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in", Level = 1 })).ToBeVisibleAsync();
        await page.GetByLabel("Admin token", new() { Exact = true }).FillAsync("not-the-admin-token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Sign-in failed");
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('gateway.console.admin-token')"));
        problems.Clear(); // the browser logs the refused sign-in's 401
        await page.GetByLabel("Admin token", new() { Exact = true }).FillAsync(FrontHost.AdminToken);
        await shots.TakeAsync(page, "sign-in");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Keys", Level = 1 })).ToBeVisibleAsync();
        // The token never reaches a URL or a cookie.
        Assert.DoesNotContain(FrontHost.AdminToken, page.Url, StringComparison.Ordinal);
        Assert.Empty(await context.CookiesAsync());

        // :: A team with a billing tag.
        var teamName = "Platform " + Guid.NewGuid().ToString("N")[..6];
        await page.GetByRole(AriaRole.Link, new() { Name = "Teams" }).ClickAsync();
        await page.GetByLabel("Team name", new() { Exact = true }).FillAsync(teamName);
        await page.GetByLabel("Billing tag", new() { Exact = true }).FillAsync("cc-platform");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create team" }).ClickAsync();
        await Expect(page.Locator("#teams-table")).ToContainTextAsync(teamName);
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("created");

        // :: A key with limits; its secret is shown once.
        await page.GetByRole(AriaRole.Link, new() { Name = "Keys" }).ClickAsync();
        await page.GetByLabel("Team", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = teamName });
        await page.GetByLabel("Key name", new() { Exact = true }).FillAsync("ci-bot");
        await page.GetByLabel("Requests per minute", new() { Exact = true }).FillAsync("600");
        await page.GetByLabel("Output tokens per minute", new() { Exact = true }).FillAsync("100000");
        await page.GetByLabel("Daily budget (USD)", new() { Exact = true }).FillAsync("5");
        await page.GetByLabel("Monthly budget (USD)", new() { Exact = true }).FillAsync("50");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var secret = (await page.Locator("#secret-once").TextContentAsync())!.Trim();
        Assert.StartsWith("sk-gw-", secret, StringComparison.Ordinal);
        await Expect(page.Locator("#keys-table")).ToContainTextAsync("ci-bot");
        await shots.TakeAsync(page, "keys");
        var keyHref = await page.Locator("#keys-table").GetByRole(AriaRole.Link, new() { Name = "ci-bot" }).Last.GetAttributeAsync("href");
        var keyId = keyHref!["#/keys/".Length..];

        // :: Real requests with the secret the page showed.
        var session = "console-browser-" + Guid.NewGuid().ToString("N")[..8];
        using (var client = TenantFrontHost.Client(host.Front, secret, session))
        {
            for (var i = 0; i < 3; i++)
            {
                using var response = await client.PostAsync("v1/messages", Json.Body(ReportsHost.RequestWithSystem));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        // A second team's traffic (long, cached prompts), so the plots and the cache savings compare two teams.
        var research = await ResearchTeamAsync();
        var researchSession = "console-research-" + Guid.NewGuid().ToString("N")[..8];
        using (var client = TenantFrontHost.Client(host.Front, research.Secret, researchSession))
        {
            for (var i = 0; i < 4; i++)
            {
                using var response = await client.PostAsync("v1/messages", Json.Body(ReportsHost.RequestWithLongSystem));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        // :: The key's page polls its usage: the spend appears without a reload.
        await page.Locator("#keys-table").GetByRole(AriaRole.Link, new() { Name = "ci-bot" }).Last.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Key ci-bot", Level = 1 })).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => Number(document.querySelector('[data-metric=spent_today]')?.dataset.value) > 0",
            null, new() { Timeout = (float)s_wait.TotalMilliseconds, PollingInterval = 200 });
        await Expect(page.Locator("#usage-table")).ToContainTextAsync("$5.00");
        await shots.TakeAsync(page, "key-usage");

        // :: Spend plots and reports, once the rollups are in Postgres.
        await UntilAsync(async () => await host.ChargesAsync(keyId) >= 3 && await host.ChargesAsync(research.KeyId) >= 4, "the keys' usage rows");
        await page.GetByRole(AriaRole.Link, new() { Name = "Spend" }).ClickAsync();
        await Expect(page.Locator("#spend-by-team table")).ToContainTextAsync(teamName);
        await Expect(page.Locator("#spend-by-tag table")).ToContainTextAsync("cc-platform");
        Assert.True(await page.EvaluateAsync<bool>("() => Chart.getChart('spend-by-team-canvas') !== undefined && document.getElementById('spend-by-team-canvas').width > 0"));
        await shots.TakeAsync(page, "spend");
        // Session grains write their totals on their own timer (Sessions:FlushInterval).
        await UntilAsync(async () => await host.ScalarAsync<long>("SELECT count(*) FROM session_usage WHERE session_id IN (@a, @b)",
            ("a", session), ("b", researchSession)) == 2, "the sessions' rows");
        await page.GetByRole(AriaRole.Link, new() { Name = "Reports" }).ClickAsync();
        await Expect(page.Locator("#sessions-table")).ToContainTextAsync(session);
        await Expect(page.Locator("#latency-by-model table")).ToContainTextAsync("claude-sonnet-4-5");
        await shots.TakeAsync(page, "reports");

        // :: Change a limit and rotate through the key's page: the old secret is refused, the new one (shown once) serves.
        await page.GotoAsync(new Uri(host.Front.BaseAddress, "console/#/keys/" + keyId).ToString());
        await page.GetByLabel("Requests per minute", new() { Exact = true }).FillAsync("300");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save limits" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Limits saved");
        using (var stored = await host.Admin.GetAsync("admin/keys/" + keyId))
        {
            var limits = Json.Parse(await stored.Content.ReadAsStringAsync()).GetProperty("limits");
            Assert.Equal(300, limits.GetProperty("requests_per_minute").GetInt64());
            Assert.Equal(5m, limits.GetProperty("daily_budget_usd").GetDecimal());
        }
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate secret" }).ClickAsync();
        await Expect(page.Locator("#secret-once")).ToBeVisibleAsync();
        var rotated = (await page.Locator("#secret-once").TextContentAsync())!.Trim();
        Assert.StartsWith("sk-gw-", rotated, StringComparison.Ordinal);
        Assert.NotEqual(secret, rotated);
        await UntilRefusedAsync(secret, "the rotated-out secret");
        using (var client = TenantFrontHost.Client(host.Front, rotated))
        {
            using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // :: Revoke through the page: the key's next request is refused.
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" }).ClickAsync();
        await Expect(page.Locator("#key-status")).ToContainTextAsync("revoked");
        await UntilRefusedAsync(rotated, "the revoked key");

        Assert.True(problems.Count == 0, "the page logged errors (a CSP violation shows here): " + string.Join(" | ", problems));
    }

    /// <summary>A second team with a key, made through the admin API (the page is tested on the first).</summary>
    private async Task<GatewayKeys.CreatedKey> ResearchTeamAsync()
    {
        using var team = await host.Admin.PostAsJsonAsync("admin/teams",
            new { name = "Research " + Guid.NewGuid().ToString("N")[..6], billing_tag = "cc-research" });
        var teamId = Json.Parse(await team.Content.ReadAsStringAsync()).GetProperty("id").GetString()!;
        using var key = await host.Admin.PostAsJsonAsync("admin/keys", new { team_id = teamId, name = "review-agent" });
        var created = Json.Parse(await key.Content.ReadAsStringAsync());
        return new GatewayKeys.CreatedKey(created.GetProperty("id").GetString()!, created.GetProperty("secret").GetString()!, teamId);
    }

    /// <summary>Sends requests with <paramref name="secret"/> until one is refused as unauthenticated.</summary>
    private async Task UntilRefusedAsync(string secret, string what)
    {
        using var client = TenantFrontHost.Client(host.Front, secret);
        await UntilAsync(async () =>
        {
            using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            return response.StatusCode == HttpStatusCode.Unauthorized;
        }, $"a 401 for {what}");
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < s_wait, $"waited {s_wait.TotalSeconds} s for {what}");
            await Task.Delay(50);
        }
    }
}
