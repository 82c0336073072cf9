using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gateway.Front.Identity;
using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Gateway.Tests.Identity;

/// <summary>
/// Sign-in against a real OIDC provider (npm oidc-provider) through a real front on Postgres: the device
/// flow through /auth, the gateway's tokens on the Messages API, and every way a token is refused.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class SignInTests(SignInFixture fixture, ITestOutputHelper output) : IClassFixture<SignInFixture>
{
    private FrontHost Front => fixture.Front;

    [Fact]
    public async Task A_person_in_no_mapped_group_is_refused_and_nothing_is_stored()
    {
        var answer = await GatewaySignIn.RunAsync(Front.BaseAddress, "nogroup");

        Assert.Equal(HttpStatusCode.Forbidden, answer.Status);
        Assert.Equal("permission_error", answer.Body.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("no group", answer.Body.GetProperty("error").GetProperty("message").GetString());
        var users = await UsersAsync();
        Assert.DoesNotContain(users, u => u.GetProperty("name").GetString() == "nogroup@example.com");
        Assert.Null(await new PostgresKeyStore(fixture.Database.DataSource).GetKeyAsync(UserKeys.IdFor("corp", "nogroup")));
    }

    [Fact]
    public async Task Expired_forged_and_other_issuer_tokens_get_401_and_a_valid_one_is_served()
    {
        var answer = await GatewaySignIn.RunAsync(Front.BaseAddress, "dave");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var token = answer.Body.GetProperty("access_token").GetString()!;
        var keyId = answer.Body.GetProperty("user_id").GetString()!;
        Assert.Equal(UserKeys.IdFor("corp", "dave"), keyId);
        Assert.Equal(fixture.TeamId, answer.Body.GetProperty("team_id").GetString());

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(token)).Status);
        // Claude Code sends an apiKeyHelper's output as Authorization: Bearer too.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(token, bearer: true)).Status);

        var user = new SignedInUser(keyId, await LookupHashAsync(keyId), "dave@example.com", fixture.TeamId, "corp", false);
        var expired = await SendAsync(IdentityTestTokens.Expired(user));
        Assert.Equal(HttpStatusCode.Unauthorized, expired.Status);
        Assert.Equal("authentication_error", Json.AssertAnthropicError(expired.Body));
        Assert.Contains("expired", expired.Body);

        var forged = await SendAsync(IdentityTestTokens.Forged(user));
        Assert.Equal(HttpStatusCode.Unauthorized, forged.Status);
        Assert.Equal("authentication_error", Json.AssertAnthropicError(forged.Body));

        // The provider's own id_token for the same person: another issuer, never a gateway credential.
        var idToken = await ProviderIdTokenAsync("dave");
        var other = await SendAsync(idToken);
        Assert.Equal(HttpStatusCode.Unauthorized, other.Status);
        Assert.Equal("authentication_error", Json.AssertAnthropicError(other.Body));
    }

    [Fact]
    public async Task Refresh_keeps_an_administrators_limits_and_a_revoked_user_is_refused_at_once()
    {
        var answer = await GatewaySignIn.RunAsync(Front.BaseAddress, "bob");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var keyId = answer.Body.GetProperty("user_id").GetString()!;
        var refresh = answer.Body.GetProperty("refresh_token").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(answer.Body.GetProperty("access_token").GetString()!)).Status);

        // An administrator sets this user's limits; the refresh (which asks the provider and re-reads groups) keeps them.
        using var admin = Front.CreateAdminClient();
        using (var patch = await admin.PatchAsync($"admin/keys/{keyId}", Json.Body("""{"limits":{"requests_per_minute":7}}""")))
        {
            Assert.True(patch.IsSuccessStatusCode, await patch.Content.ReadAsStringAsync());
        }
        var refreshed = await RefreshAsync(refresh);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        var newToken = refreshed.Body.GetProperty("access_token").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(newToken)).Status);
        var bob = Assert.Single(await UsersAsync(), u => u.GetProperty("id").GetString() == keyId);
        Assert.Equal("bob@example.com", bob.GetProperty("name").GetString());
        Assert.Equal(7, bob.GetProperty("limits").GetProperty("requests_per_minute").GetInt64());
        Assert.True(bob.GetProperty("limits_overridden").GetBoolean());
        Assert.Equal("corp", bob.GetProperty("issuer").GetString());

        using (var revoke = await admin.PostAsync($"admin/keys/{keyId}/revoke", null))
        {
            Assert.True(revoke.IsSuccessStatusCode, await revoke.Content.ReadAsStringAsync());
        }
        // The key-change notification reaches the directory at once; a front's own cache holds ≤ Auth:CacheTime (1 s).
        var clock = Stopwatch.StartNew();
        (HttpStatusCode Status, string Body) after;
        while ((after = await SendAsync(newToken)).Status == HttpStatusCode.OK)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), "a revoked user's token kept working");
            await Task.Delay(100);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, after.Status);
        Assert.Equal("authentication_error", Json.AssertAnthropicError(after.Body));
        var refusedRefresh = await RefreshAsync(refresh);
        Assert.Equal(HttpStatusCode.Forbidden, refusedRefresh.Status);
    }

    [Fact]
    public async Task Claude_code_signs_in_with_the_apiKeyHelper_and_the_audit_row_carries_the_user()
    {
        var home = Directory.CreateTempSubdirectory("gateway-token-test-");
        try
        {
            var cacheHome = Path.Combine(home.FullName, "cache");
            var helper = Path.Combine(RepoPaths.Root, "scripts", "gateway-token");
            var gateway = Front.BaseAddress.ToString().TrimEnd('/');

            // The first run signs in: it prints the URL and code, polls, and prints the token.
            var token = await RunHelperAsync(helper, gateway, home.FullName, cacheHome, approveAs: "alice");
            var cacheFile = Assert.Single(Directory.GetFiles(Path.Combine(cacheHome, "anthropic-gateway"), "*.env"));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cacheFile));
            }
            // The second run answers from the cache, at once and without a provider.
            Assert.Equal(token, await RunHelperAsync(helper, gateway, home.FullName, cacheHome, approveAs: null));
            // A token with less time left than the helper wants is refreshed silently (no device flow).
            var refreshed = await RunHelperAsync(helper, gateway, home.FullName, cacheHome, approveAs: null, minSecondsLeft: 24 * 3600);
            Assert.NotEqual(token, refreshed);
            token = refreshed;

            var settings = JsonSerializer.Serialize(new { apiKeyHelper = $"{helper} {gateway}" });
            var result = await ClaudeCodeCli.RunAsync(Front.BaseAddress,
                new Dictionary<string, string> { ["XDG_CACHE_HOME"] = cacheHome, ["HOME"] = home.FullName },
                "--settings", settings, "-p", "Reply with the word PONG", "--output-format", "json");
            Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\nstdout: {result.StdOut}\nstderr: {result.StdErr}");
            var output = Json.Parse(result.StdOut);
            Assert.False(output.GetProperty("is_error").GetBoolean(), result.StdOut);
            Assert.Equal("PONG", output.GetProperty("result").GetString());
            var turn = Assert.Single(fixture.Upstream.Received, r => r.Method == "POST" && r.PathAndQuery == "/v1/messages?beta=true");
            Assert.DoesNotContain(turn.Headers.Values, v => v.Contains(token));

            // The audit row names the person's user key; /admin/users lists them in their team.
            var aliceKey = UserKeys.IdFor("corp", "alice");
            var clock = Stopwatch.StartNew();
            long rows;
            while ((rows = await CountAuditRowsAsync(aliceKey)) == 0)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "no audit row carries the user");
                await Task.Delay(100);
            }
            Assert.True(rows >= 1);
            var alice = Assert.Single(await UsersAsync(), u => u.GetProperty("id").GetString() == aliceKey);
            Assert.Equal("alice@example.com", alice.GetProperty("name").GetString());
            Assert.Equal(fixture.TeamId, alice.GetProperty("team_id").GetString());
            Assert.Equal(1000, alice.GetProperty("limits").GetProperty("requests_per_minute").GetInt64());
            Assert.Equal("active", alice.GetProperty("status").GetString());
        }
        finally
        {
            try { home.Delete(recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_signed_in_request_costs_what_a_virtual_key_request_costs()
    {
        var answer = await GatewaySignIn.RunAsync(Front.BaseAddress, "erin");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var token = answer.Body.GetProperty("access_token").GetString()!;
        using var admin = Front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);

        // Interleaved, so both see the same machine load; the first of each warms caches and connections.
        const int Rounds = 300;
        using var http = new HttpClient { BaseAddress = Front.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var byToken = new List<double>(Rounds);
        var byKey = new List<double>(Rounds);
        for (var i = 0; i <= Rounds; i++)
        {
            var (tokenMs, tokenStatus) = await TimedAsync(http, token);
            var (keyMs, keyStatus) = await TimedAsync(http, key.Secret);
            Assert.Equal(HttpStatusCode.OK, tokenStatus);
            Assert.Equal(HttpStatusCode.OK, keyStatus);
            if (i > 0)
            {
                byToken.Add(tokenMs);
                byKey.Add(keyMs);
            }
        }
        byToken.Sort();
        byKey.Sort();
        double P(List<double> v, double q) => v[(int)Math.Min(v.Count - 1, q * v.Count)];
        output.WriteLine($"{Rounds} requests each, through the front to the fake upstream: signed-in token p50 {P(byToken, 0.5):0.000} ms "
            + $"p99 {P(byToken, 0.99):0.000} ms; virtual key p50 {P(byKey, 0.5):0.000} ms p99 {P(byKey, 0.99):0.000} ms");
        // Loose on a shared machine: the point is no provider call and no extra grain call per request.
        Assert.True(P(byToken, 0.5) < P(byKey, 0.5) * 1.5 + 0.5, $"token p50 {P(byToken, 0.5):0.000} ms vs key p50 {P(byKey, 0.5):0.000} ms");
    }

    /// <summary>One request on a kept-alive connection, timed from send to the last byte read.</summary>
    private static async Task<(double Ms, HttpStatusCode Status)> TimedAsync(HttpClient http, string credential)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(Json.SmallRequest) };
        request.Headers.Add("x-api-key", credential);
        request.Headers.Add("anthropic-version", "2023-06-01");
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        return (clock.Elapsed.TotalMilliseconds, response.StatusCode);
    }

    /// <summary>Runs scripts/gateway-token as Claude Code would (no terminal); approves the code it prints as <paramref name="approveAs"/>.</summary>
    private static async Task<string> RunHelperAsync(string helper, string gateway, string home, string cacheHome, string? approveAs,
        int? minSecondsLeft = null)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(helper);
        start.ArgumentList.Add(gateway);
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        start.Environment["HOME"] = home;
        start.Environment["XDG_CACHE_HOME"] = cacheHome;
        // Run from a terminal, the helper would talk to it: the test reads the URL and code from stderr.
        start.Environment["GATEWAY_TOKEN_PROMPT"] = "stderr";
        if (minSecondsLeft is { } seconds)
        {
            start.Environment["GATEWAY_TOKEN_MIN_SECONDS"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = new System.Text.StringBuilder();
        string? url = null;
        var code = false;
        string? line;
        while ((line = await process.StandardError.ReadLineAsync()) is not null)
        {
            stderr.AppendLine(line);
            if (line.StartsWith("To sign in", StringComparison.Ordinal))
            {
                url = line[(line.IndexOf("open ", StringComparison.Ordinal) + 5)..].Trim();
            }
            if (line.Contains("confirm the code:", StringComparison.Ordinal) && url is not null && !code)
            {
                code = true;
                Assert.NotNull(approveAs);
                await DeviceApproval.ApproveAsync(new Uri(url), approveAs!);
            }
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var token = (await stdout).Trim();
        Assert.True(process.ExitCode == 0 && token.StartsWith("eyJ", StringComparison.Ordinal),
            $"gateway-token exit {process.ExitCode}\nstdout: {token}\nstderr: {stderr}");
        Assert.Equal(approveAs is not null, code);
        return token;
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(string credential, bool bearer = false)
    {
        using var client = new HttpClient { BaseAddress = Front.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (bearer)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", credential);
        }
        else
        {
            client.DefaultRequestHeaders.Add("x-api-key", credential);
        }
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<GatewaySignIn.Answer> RefreshAsync(string refreshToken)
    {
        using var http = new HttpClient { BaseAddress = Front.BaseAddress };
        using var response = await http.PostAsync("auth/refresh", new FormUrlEncodedContent([new("refresh_token", refreshToken)]));
        return new GatewaySignIn.Answer(response.StatusCode, Json.Parse(await response.Content.ReadAsStringAsync()).Clone(), null);
    }

    private async Task<List<JsonElement>> UsersAsync()
    {
        using var admin = Front.CreateAdminClient();
        var body = await admin.GetStringAsync("admin/users");
        return [.. Json.Parse(body).GetProperty("data").EnumerateArray().Select(e => e.Clone())];
    }

    private async Task<string> LookupHashAsync(string keyId) =>
        (await new PostgresKeyStore(fixture.Database.DataSource).GetKeyAsync(keyId))!.SecretHash;

    private async Task<long> CountAuditRowsAsync(string userId)
    {
        await using var command = fixture.Database.DataSource.CreateCommand("SELECT count(*) FROM request_log WHERE user_id = $1 AND status = 200");
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A device flow straight with the provider (not the gateway): its id_token.</summary>
    private async Task<string> ProviderIdTokenAsync(string login)
    {
        using var http = new HttpClient { BaseAddress = fixture.Provider.Issuer };
        var client = new KeyValuePair<string, string>[] { new("client_id", OidcTestProvider.ClientId), new("client_secret", OidcTestProvider.ClientSecret) };
        using var started = await http.PostAsync("device/auth", new FormUrlEncodedContent([.. client, new("scope", "openid email groups")]));
        var device = Json.Parse(await started.Content.ReadAsStringAsync());
        await DeviceApproval.ApproveAsync(new Uri(device.GetProperty("verification_uri_complete").GetString()!), login);
        using var token = await http.PostAsync("token", new FormUrlEncodedContent(
            [.. client, new("grant_type", IdentityProviderClient.DeviceCodeGrant), new("device_code", device.GetProperty("device_code").GetString()!)]));
        var body = await token.Content.ReadAsStringAsync();
        Assert.True(token.IsSuccessStatusCode, body);
        return Json.Parse(body).GetProperty("id_token").GetString()!;
    }
}
