using System.Diagnostics;
using System.Net;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Console;

/// <summary>
/// The console in a real browser signed in through the local OIDC provider's own login and consent pages: a team
/// lead sees only their team's keys, creates a key (it lands in their team), watches its usage appear after real
/// requests and revokes it; an administrator sees both teams. No fixed sleeps. Screenshots: <see cref="Screenshots"/>.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ConsoleOidcBrowserTests(ConsoleAuthFixture fixture, ITestOutputHelper output) : IClassFixture<ConsoleAuthFixture>
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_lead_signs_in_through_the_provider_manages_their_teams_key_and_an_admin_sees_both_teams()
    {
        var (playwright, browser) = await ConsoleBrowser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var shots = new Screenshots();
        output.WriteLine($"screenshots: {shots.Folder}");

        // :: The lead of team alpha.
        var (lead, problems) = await SignInAsync(browser, "lena", shots);
        await Expect(lead.Locator("#who")).ToContainTextAsync("Team lead");
        await Expect(lead.Locator("#keys-table")).ToContainTextAsync("alpha-ci");
        await Expect(lead.Locator("#keys-table")).Not.ToContainTextAsync("beta-ci");

        await lead.GetByLabel("Team", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = ConsoleAuthFixture.Alpha });
        await lead.GetByLabel("Key name", new() { Exact = true }).FillAsync("lena-bot");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var secret = (await lead.Locator("#secret-once").TextContentAsync())!.Trim();
        Assert.StartsWith("sk-gw-", secret, StringComparison.Ordinal);
        await Expect(lead.Locator("#keys-table")).ToContainTextAsync("lena-bot");
        await shots.TakeAsync(lead, "lead-keys");
        var href = await lead.Locator("#keys-table").GetByRole(AriaRole.Link, new() { Name = "lena-bot" }).Last.GetAttributeAsync("href");
        var keyId = href!["#/keys/".Length..];
        using (var admin = fixture.Front.CreateAdminClient())
        {
            var stored = Json.Parse(await admin.GetStringAsync("admin/keys/" + keyId));
            Assert.Equal(fixture.AlphaId, stored.GetProperty("team_id").GetString());
        }

        using (var client = TenantFrontHost.Client(fixture.Front, secret))
        {
            for (var i = 0; i < 2; i++)
            {
                using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
        await lead.Locator("#keys-table").GetByRole(AriaRole.Link, new() { Name = "lena-bot" }).Last.ClickAsync();
        await lead.WaitForFunctionAsync("() => Number(document.querySelector('[data-metric=spent_today]')?.dataset.value) > 0",
            null, new() { Timeout = (float)s_wait.TotalMilliseconds, PollingInterval = 200 });
        await shots.TakeAsync(lead, "lead-key-usage");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Revoke key" }).ClickAsync();
        await Expect(lead.Locator("#key-status")).ToContainTextAsync("revoked");
        using (var client = TenantFrontHost.Client(fixture.Front, secret))
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    break;
                }
                Assert.True(clock.Elapsed < s_wait, "the revoked key kept working");
                await Task.Delay(50);
            }
        }
        Assert.True(problems.Count == 0, "the lead's page logged errors: " + string.Join(" | ", problems));

        // :: An administrator sees both teams.
        var (adminPage, adminProblems) = await SignInAsync(browser, "ada", shots: null);
        await Expect(adminPage.Locator("#who")).ToContainTextAsync("Administrator");
        await Expect(adminPage.Locator("#keys-table")).ToContainTextAsync("alpha-ci");
        await Expect(adminPage.Locator("#keys-table")).ToContainTextAsync("beta-ci");
        await adminPage.GetByRole(AriaRole.Link, new() { Name = "Teams" }).ClickAsync();
        await Expect(adminPage.Locator("#teams-table")).ToContainTextAsync(ConsoleAuthFixture.Beta);
        Assert.True(adminProblems.Count == 0, "the admin's page logged errors: " + string.Join(" | ", adminProblems));
    }

    /// <summary>A fresh browser context through /console → "Sign in with corp" → the provider's login and consent → the console.</summary>
    private async Task<(IPage Page, List<string> Problems)> SignInAsync(IBrowser browser, string login, Screenshots? shots)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)s_wait.TotalMilliseconds);
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add(error);
        page.Console += (_, message) =>
        {
            // Errors of the console's own pages only (the provider's development pages are not ours).
            if (message.Type == "error" && page.Url.StartsWith(fixture.Front.BaseAddress.ToString(), StringComparison.Ordinal))
            {
                problems.Add(message.Text);
            }
        };
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();

        await page.GotoAsync(new Uri(fixture.Front.BaseAddress, "console/").ToString());
        var link = page.GetByRole(AriaRole.Link, new() { Name = "Sign in with corp" });
        await Expect(link).ToBeVisibleAsync();
        if (shots is not null)
        {
            await shots.TakeAsync(page, "sign-in-oidc");
        }
        await link.ClickAsync();
        await page.Locator("input[name=login]").FillAsync(login);
        await page.Locator("input[name=password]").FillAsync("any");
        await page.Locator("button[type=submit]").ClickAsync();
        // The consent page (the first sign-in of this person); then back to the console.
        var consent = page.Locator("button[type=submit]");
        await page.WaitForURLAsync(url => url.StartsWith(fixture.Front.BaseAddress.ToString(), StringComparison.Ordinal) || url.Contains("/interaction/", StringComparison.Ordinal));
        if (!page.Url.StartsWith(fixture.Front.BaseAddress.ToString(), StringComparison.Ordinal))
        {
            await consent.ClickAsync();
        }
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Keys", Level = 1 })).ToBeVisibleAsync();
        return (page, problems);
    }
}
