using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Console;

/// <summary>
/// The console's OIDC sign-in against a real provider, and what each role may do with the admin API: an administrator
/// everything, a team lead their own team only (the scoping matrix), a person in neither group nothing; changes made
/// with a session need the console's CSRF header.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ConsoleSignInTests(ConsoleAuthFixture fixture) : IClassFixture<ConsoleAuthFixture>
{
    private const string Csrf = "x-gateway-console";

    [Fact]
    public async Task AuthEndpointListsBothMethodsAndNoSessionForAStranger()
    {
        using var client = new HttpClient { BaseAddress = fixture.Front.BaseAddress };
        var auth = Json.Parse(await client.GetStringAsync("console/auth"));
        Assert.Equal(["admin-token", "oidc"], auth.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(["corp"], auth.GetProperty("issuers").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(JsonValueKind.Null, auth.GetProperty("session").ValueKind);
    }

    [Fact]
    public async Task SignInSetsAStrictHttpOnlySessionCookieAndSendsThePersonToTheConsole()
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        using var raw = new HttpClient(handler) { BaseAddress = fixture.Front.BaseAddress };
        using var start = await raw.GetAsync("console/signin/corp");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var location = start.Headers.Location!.ToString();
        Assert.StartsWith(fixture.Provider.Issuer.ToString().TrimEnd('/'), location, StringComparison.Ordinal);
        Assert.Contains("code_challenge_method=S256", location, StringComparison.Ordinal);
        Assert.Contains("nonce=", location, StringComparison.Ordinal);
        var flowCookie = Assert.Single(start.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", flowCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/console/callback", flowCookie, StringComparison.OrdinalIgnoreCase);

        using var session = await ConsoleOidcSignIn.SignInAsync(fixture.Front, "lena");
        Assert.Equal(HttpStatusCode.OK, session.FinalStatus);
        var cookie = Assert.Single(session.Cookies.GetCookies(fixture.Front.BaseAddress).Cast<Cookie>(), c => c.Name == "gateway_console");
        Assert.True(cookie.HttpOnly);
        Assert.Equal("/", cookie.Path);
        var auth = Json.Parse(await session.Client.GetStringAsync("console/auth")).GetProperty("session");
        Assert.Equal("lead", auth.GetProperty("role").GetString());
        Assert.Equal(fixture.AlphaId, auth.GetProperty("team_id").GetString());
    }

    [Fact]
    public async Task ACallbackWithoutItsFlowCookieOrWithAForeignStateIsRefused()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Front.BaseAddress };
        using var response = await client.GetAsync("console/callback?code=abc&state=xyz");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [],
            c => c.StartsWith("gateway_console=", StringComparison.Ordinal) && !c.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task APersonInNoAdminOrLeadGroupIsRefusedAndGetsNoSession()
    {
        // "bob" is in group eng only: he may use the gateway (a user key) but not the console.
        using var session = await ConsoleOidcSignIn.SignInAsync(fixture.Front, "bob");
        Assert.Equal(HttpStatusCode.Forbidden, session.FinalStatus);
        Assert.Contains("no administrator or team-lead group", session.FinalPage, StringComparison.Ordinal);
        Assert.DoesNotContain(session.Cookies.GetCookies(fixture.Front.BaseAddress).Cast<Cookie>(), c => c.Name == "gateway_console");
        using var keys = await session.Client.GetAsync("admin/keys");
        Assert.Equal(HttpStatusCode.Unauthorized, keys.StatusCode);
    }

    [Fact]
    public async Task AnAdministratorSessionSeesEveryTeamAndKey()
    {
        using var session = await ConsoleOidcSignIn.SignInAsync(fixture.Front, "ada");
        Assert.Equal(HttpStatusCode.OK, session.FinalStatus);
        var teams = await IdsAsync(session.Client, "admin/teams");
        Assert.Contains(fixture.AlphaId, teams);
        Assert.Contains(fixture.BetaId, teams);
        var keys = await IdsAsync(session.Client, "admin/keys");
        Assert.Contains(fixture.AlphaKeyId, keys);
        Assert.Contains(fixture.BetaKeyId, keys);
        using var export = await session.Client.GetAsync("admin/reports/latency_by_model");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
    }

    [Fact]
    public async Task ALeadSeesAndManagesOnlyTheirTeam()
    {
        using var session = await ConsoleOidcSignIn.SignInAsync(fixture.Front, "lena");
        var client = session.Client;
        Assert.Equal([fixture.AlphaId], await IdsAsync(client, "admin/teams"));
        var keys = await IdsAsync(client, "admin/keys");
        Assert.Contains(fixture.AlphaKeyId, keys);
        Assert.DoesNotContain(fixture.BetaKeyId, keys);
        Assert.DoesNotContain(fixture.BetaKeyId, await IdsAsync(client, $"admin/keys?team_id={fixture.BetaId}"));
        Assert.Empty(await IdsAsync(client, $"admin/users?team_id={fixture.BetaId}"));

        // Another team's key is, for a lead, a key that does not exist: read, usage, patch, rotate, revoke.
        await AssertStatusAsync(HttpStatusCode.NotFound, client, HttpMethod.Get, $"admin/keys/{fixture.BetaKeyId}");
        await AssertStatusAsync(HttpStatusCode.NotFound, client, HttpMethod.Get, $"admin/keys/{fixture.BetaKeyId}/usage");
        await AssertStatusAsync(HttpStatusCode.NotFound, client, HttpMethod.Patch, $"admin/keys/{fixture.BetaKeyId}", new { name = "taken" });
        await AssertStatusAsync(HttpStatusCode.NotFound, client, HttpMethod.Post, $"admin/keys/{fixture.BetaKeyId}/rotate", new { });
        await AssertStatusAsync(HttpStatusCode.NotFound, client, HttpMethod.Post, $"admin/keys/{fixture.BetaKeyId}/revoke", new { });
        await AssertStatusAsync(HttpStatusCode.NotFound, client, HttpMethod.Get, $"admin/teams/{fixture.BetaId}");
        using (var admin = fixture.Front.CreateAdminClient())
        {
            var beta = Json.Parse(await admin.GetStringAsync($"admin/keys/{fixture.BetaKeyId}"));
            Assert.Equal("beta-ci", beta.GetProperty("name").GetString());
            Assert.Equal("active", beta.GetProperty("status").GetString());
        }

        // Administrators' endpoints: 403 in the admin error shape.
        var refused = await AssertStatusAsync(HttpStatusCode.Forbidden, client, HttpMethod.Post, "admin/teams", new { name = "mine" });
        Assert.Equal("permission_error", Json.Parse(refused).GetProperty("error").GetProperty("type").GetString());
        await AssertStatusAsync(HttpStatusCode.Forbidden, client, HttpMethod.Patch, $"admin/teams/{fixture.AlphaId}", new { billing_tag = "x" });
        await AssertStatusAsync(HttpStatusCode.Forbidden, client, HttpMethod.Get, "admin/billing/export");

        // A key created by a lead lands in their team; another team is refused.
        await AssertStatusAsync(HttpStatusCode.Forbidden, client, HttpMethod.Post, "admin/keys", new { team_id = fixture.BetaId, name = "sneaky" });
        var created = Json.Parse(await AssertStatusAsync(HttpStatusCode.Created, client, HttpMethod.Post, "admin/keys",
            new { team_id = fixture.AlphaId, name = "lena-ci" }));
        Assert.Equal(fixture.AlphaId, created.GetProperty("team_id").GetString());
        var id = created.GetProperty("id").GetString()!;
        await AssertStatusAsync(HttpStatusCode.OK, client, HttpMethod.Patch, $"admin/keys/{id}", new { name = "lena-ci-2" });

        // Unmetered paths are an administrator's decision: a lead can neither create nor patch a key with them.
        await AssertStatusAsync(HttpStatusCode.Forbidden, client, HttpMethod.Post, "admin/keys",
            new { team_id = fixture.AlphaId, name = "files", open_paths = new[] { "/v1/files" } });
        await AssertStatusAsync(HttpStatusCode.Forbidden, client, HttpMethod.Patch, $"admin/keys/{id}", new { open_paths = new[] { "/v1/files" } });
        using (var admin = fixture.Front.CreateAdminClient())
        {
            var own = Json.Parse(await admin.GetStringAsync($"admin/keys/{id}"));
            Assert.Empty(own.GetProperty("open_paths").EnumerateArray());
        }
        await AssertStatusAsync(HttpStatusCode.OK, client, HttpMethod.Post, $"admin/keys/{id}/revoke", new { });
    }

    [Fact]
    public async Task ALeadsReportsAreFilteredToTheirTeamAndCrossTeamViewsAreRefused()
    {
        // Spend in both teams, then the lead's view of it.
        foreach (var secret in new[] { fixture.AlphaSecret, fixture.BetaSecret })
        {
            using var api = fixture.Front.CreateClient(secret);
            using var reply = await api.PostAsJsonAsync("v1/messages",
                new { model = "claude-sonnet-4-5", max_tokens = 16, messages = new[] { new { role = "user", content = "ping" } } });
            Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        }
        using var admin = fixture.Front.CreateAdminClient();
        await UntilAsync(async () =>
        {
            var rows = Json.Parse(await admin.GetStringAsync("admin/reports/spend_by_team_day")).GetProperty("data").EnumerateArray()
                .Select(r => r.GetProperty("team_id").GetString()).ToList();
            return rows.Contains(fixture.AlphaId) && rows.Contains(fixture.BetaId);
        });

        using var session = await ConsoleOidcSignIn.SignInAsync(fixture.Front, "lena");
        var teams = Json.Parse(await session.Client.GetStringAsync("admin/reports/spend_by_team_day")).GetProperty("data").EnumerateArray()
            .Select(r => r.GetProperty("team_id").GetString()).Distinct().ToList();
        Assert.Equal([fixture.AlphaId], teams);
        await AssertStatusAsync(HttpStatusCode.Forbidden, session.Client, HttpMethod.Get, "admin/reports/latency_by_model");
        await AssertStatusAsync(HttpStatusCode.Forbidden, session.Client, HttpMethod.Get, "admin/reports/spend_by_billing_tag_day");
    }

    [Fact]
    public async Task ALeadSeesAndSetsAlertRulesOnTheirTeamOnly()
    {
        const string hook = "http://127.0.0.1:9/hook";
        using var admin = fixture.Front.CreateAdminClient();
        string betaRule;
        using (var created = await admin.PostAsJsonAsync("admin/alerts",
            new { scope = "team", target_id = fixture.BetaId, period = "day", budget_usd = 10, webhook_url = hook }))
        {
            var text = await created.Content.ReadAsStringAsync();
            Assert.True(created.IsSuccessStatusCode, text);
            betaRule = Json.Parse(text).GetProperty("id").GetString()!;
        }

        using var session = await ConsoleOidcSignIn.SignInAsync(fixture.Front, "lena");
        var client = session.Client;
        await AssertStatusAsync(HttpStatusCode.Forbidden, client, HttpMethod.Post, "admin/alerts",
            new { scope = "team", target_id = fixture.BetaId, period = "day", budget_usd = 5, webhook_url = hook });
        await AssertStatusAsync(HttpStatusCode.Forbidden, client, HttpMethod.Post, "admin/alerts",
            new { scope = "key", target_id = fixture.BetaKeyId, period = "day", budget_usd = 5, webhook_url = hook });
        var mine = Json.Parse(await AssertStatusAsync(HttpStatusCode.Created, client, HttpMethod.Post, "admin/alerts",
            new { scope = "key", target_id = fixture.AlphaKeyId, period = "day", budget_usd = 5, webhook_url = hook })).GetProperty("id").GetString()!;

        var listed = await IdsAsync(client, "admin/alerts");
        Assert.Contains(mine, listed);
        Assert.DoesNotContain(betaRule, listed);
        await AssertStatusAsync(HttpStatusCode.NotFound, client, HttpMethod.Get, $"admin/alerts/{betaRule}");
        await AssertStatusAsync(HttpStatusCode.NotFound, client, HttpMethod.Get, $"admin/alerts/{betaRule}/deliveries");
        await AssertStatusAsync(HttpStatusCode.NotFound, client, HttpMethod.Patch, $"admin/alerts/{betaRule}", new { enabled = false });
        await AssertStatusAsync(HttpStatusCode.NotFound, client, HttpMethod.Delete, $"admin/alerts/{betaRule}");
        Assert.Contains(betaRule, await IdsAsync(admin, "admin/alerts"));
        await AssertStatusAsync(HttpStatusCode.OK, client, HttpMethod.Delete, $"admin/alerts/{mine}");
    }

    [Fact]
    public async Task ChangesWithASessionNeedTheCsrfHeaderAndSignOutEndsTheSession()
    {
        using var session = await ConsoleOidcSignIn.SignInAsync(fixture.Front, "ada");
        using (var noHeader = await session.Client.PostAsJsonAsync("admin/teams", new { name = "csrf-victim" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, noHeader.StatusCode);
            Assert.Contains(Csrf, await noHeader.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        await AssertStatusAsync(HttpStatusCode.Created, session.Client, HttpMethod.Post, "admin/teams", new { name = "csrf-ok" });

        await AssertStatusAsync(HttpStatusCode.NoContent, session.Client, HttpMethod.Post, "console/signout", null);
        using var after = await session.Client.GetAsync("admin/teams");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task AForgedSessionCookieIsRefused()
    {
        using var handler = new HttpClientHandler { UseCookies = false };
        using var client = new HttpClient(handler) { BaseAddress = fixture.Front.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "admin/teams");
        request.Headers.Add("Cookie", "gateway_console=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwiZ3dfcm9sZSI6ImFkbWluIn0.");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    /// <summary>Usage reaches Postgres through the settler and the audit flush: wait for it, bounded.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The usage did not reach the reports in 30 s.");
            await Task.Delay(200);
        }
    }

    private static async Task<List<string>> IdsAsync(HttpClient client, string path) =>
        Json.Parse(await client.GetStringAsync(path)).GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();

    private static async Task<string> AssertStatusAsync(HttpStatusCode expected, HttpClient client, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add(Csrf, "1");
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{method} {path}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text;
    }
}
