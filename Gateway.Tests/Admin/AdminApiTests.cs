using System.Net;
using System.Text.Json;
using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin;

/// <summary>
/// The admin API over HTTP against real Postgres. Cluster notifications go to a recording notifier,
/// so these tests need no silo and can check exactly which key and hash each change announced.
/// </summary>
public sealed class AdminApiTests(AdminApiFixture fixture) : IClassFixture<AdminApiFixture>
{
    private AdminHost Host => fixture.Host;

    [Fact]
    public async Task A_new_key_shows_its_secret_once_and_the_database_holds_only_its_hash()
    {
        using var client = Host.CreateClient();
        var teamId = await CreateTeamAsync(client, billingTag: "cc-42");

        var response = await client.PostAsync("admin/keys", Json.Body($$$"""
            {"team_id":"{{{teamId}}}","name":"ci","allowed_models":["claude-sonnet-*"],
             "limits":{"requests_per_minute":60,"input_tokens_per_minute":100000,"output_tokens_per_minute":20000,
                       "concurrent_streams":4,"daily_budget_usd":25.5,"monthly_budget_usd":500},
             "session_limits":{"max_requests":100,"max_cost_usd":2.5}}
            """));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        var key = Json.Parse(body);
        var keyId = key.GetProperty("id").GetString()!;
        var secret = key.GetProperty("secret").GetString()!;
        Assert.Matches("^sk-gw-[A-Za-z0-9_-]{40}$", secret);
        Assert.Equal($"/admin/keys/{keyId}", response.Headers.Location?.ToString());
        Assert.Equal("api_key", key.GetProperty("type").GetString());
        Assert.Equal(teamId, key.GetProperty("team_id").GetString());
        Assert.Equal(secret[..12], key.GetProperty("secret_prefix").GetString());
        Assert.Equal("active", key.GetProperty("status").GetString());
        Assert.Equal("cc-42", key.GetProperty("billing_tag").GetString());
        Assert.Equal(["claude-sonnet-*"], key.GetProperty("allowed_models").EnumerateArray().Select(m => m.GetString()));
        var limits = key.GetProperty("limits");
        Assert.Equal(60, limits.GetProperty("requests_per_minute").GetInt64());
        Assert.Equal(4, limits.GetProperty("concurrent_streams").GetInt32());
        Assert.Equal(25.5m, limits.GetProperty("daily_budget_usd").GetDecimal());
        Assert.Equal(2.5m, key.GetProperty("session_limits").GetProperty("max_cost_usd").GetDecimal());

        // The secret works: its hash finds the key.
        var hash = KeySecrets.Hash(secret);
        Assert.Equal(keyId, (await Host.Store.FindByHashAsync(hash))?.KeyId);

        // Never again: not on read, not in lists, and never the hash either.
        var read = await client.GetStringAsync($"admin/keys/{keyId}");
        var list = await client.GetStringAsync($"admin/keys?team_id={teamId}");
        var all = await client.GetStringAsync("admin/keys");
        foreach (var text in new[] { read, list, all })
        {
            Assert.DoesNotContain(secret[KeySecrets.Prefix.Length..], text);
            Assert.DoesNotContain(hash, text);
            Assert.DoesNotContain("\"secret\"", text);
        }
        Assert.Equal(keyId, Json.Parse(list).GetProperty("data")[0].GetProperty("id").GetString());
        Assert.False(Json.Parse(list).GetProperty("has_more").GetBoolean());

        // No column of any table holds the secret (its random part, which the display prefix only starts).
        var rows = await AllRowsAsTextAsync();
        Assert.DoesNotContain(rows, row => row.Contains(secret[KeySecrets.Prefix.Length..], StringComparison.Ordinal));
        Assert.Contains(rows, row => row.Contains(hash, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Teams_are_created_listed_read_and_updated()
    {
        using var client = Host.CreateClient();
        var name = $"team-{Guid.NewGuid():N}";
        var response = await client.PostAsync("admin/teams", Json.Body($$"""{"name":"{{name}}","billing_tag":"tag-a"}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var team = Json.Parse(await response.Content.ReadAsStringAsync());
        var teamId = team.GetProperty("id").GetString()!;
        Assert.Matches("^team_[0-9a-f]{12}$", teamId);
        Assert.Equal("team", team.GetProperty("type").GetString());
        Assert.Equal("tag-a", team.GetProperty("billing_tag").GetString());

        var teams = Json.Parse(await client.GetStringAsync("admin/teams")).GetProperty("data").EnumerateArray();
        Assert.Contains(teams, t => t.GetProperty("id").GetString() == teamId);
        Assert.Equal(name, Json.Parse(await client.GetStringAsync($"admin/teams/{teamId}")).GetProperty("name").GetString());

        // A key inheriting the team's tag is told when the tag changes.
        var key = Json.Parse(await CreateKeyAsync(client, teamId));
        var keyId = key.GetProperty("id").GetString()!;
        var keyHash = KeySecrets.Hash(key.GetProperty("secret").GetString()!);

        var patched = await client.PatchAsync($"admin/teams/{teamId}", Json.Body("""{"billing_tag":"tag-b"}"""));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var updated = Json.Parse(await patched.Content.ReadAsStringAsync());
        Assert.Equal((name, "tag-b"), (updated.GetProperty("name").GetString(), updated.GetProperty("billing_tag").GetString()));
        Assert.Contains(keyHash, Host.Notifier.HashesFor(keyId));
        Assert.Equal("tag-b", Json.Parse(await client.GetStringAsync($"admin/keys/{keyId}")).GetProperty("billing_tag").GetString());

        var duplicate = await client.PostAsync("admin/teams", Json.Body($$"""{"name":"{{name}}"}"""));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal("invalid_request_error", Json.AssertAnthropicError(await duplicate.Content.ReadAsStringAsync()));

        var missing = await client.PatchAsync("admin/teams/team_000000000000", Json.Body("""{"name":"x"}"""));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("not_found_error", Json.AssertAnthropicError(await missing.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("keys", """{"team_id":"$TEAM","name":"x","limits":{"requests_per_minute":-1}}""", "limits.requests_per_minute must be a non-negative integer")]
    [InlineData("keys", """{"team_id":"$TEAM","name":"x","limits":{"daily_budget_usd":-0.5}}""", "limits.daily_budget_usd must be a non-negative number")]
    [InlineData("keys", """{"team_id":"$TEAM","name":"x","session_limits":{"max_requests":1.5}}""", "session_limits.max_requests must be a non-negative integer")]
    [InlineData("keys", """{"team_id":"team_000000000000","name":"x"}""", "team_id 'team_000000000000' does not name a team")]
    [InlineData("keys", """{"team_id":"$TEAM"}""", "name is required")]
    [InlineData("keys", """{"team_id":"$TEAM","name":"  "}""", "name must not be empty")]
    [InlineData("keys", """{"name":"x"}""", "team_id is required")]
    [InlineData("keys", """{"team_id":"$TEAM","name":"x","allowed_models":"claude"}""", "allowed_models must be an array of strings")]
    [InlineData("keys", """{"team_id":"$TEAM","name":"x","limit":{}}""", "Unknown field 'limit'")]
    [InlineData("keys", """{"team_id":"$TEAM","name":"x","limits":{"rpm":5}}""", "Unknown field 'limits.rpm'")]
    [InlineData("keys", """{"team_id":""", "not valid JSON")]
    [InlineData("keys", """[1,2]""", "must be a JSON object")]
    [InlineData("keys", """{"team_id":"$TEAM","name":"x","cache_ttl":"10m"}""", "cache_ttl must be \"5m\", \"1h\" or null, got \"10m\"")]
    [InlineData("keys", """{"team_id":"$TEAM","name":"x","cache_ttl":""}""", "cache_ttl must be \"5m\", \"1h\" or null")]
    [InlineData("keys", """{"team_id":"$TEAM","name":"x","cache_ttl":3600}""", "cache_ttl must be \"5m\", \"1h\" or null, got 3600")]
    [InlineData("keys", """{"team_id":"$TEAM","name":"x","cache_injection":"off"}""", "cache_injection must be true, false or null, got \"off\"")]
    [InlineData("teams", """{}""", "name is required")]
    [InlineData("teams", """{"name":7}""", "name must be a string")]
    public async Task Bad_input_is_a_400_that_names_the_problem(string resource, string body, string message)
    {
        using var client = Host.CreateClient();
        var teamId = body.Contains("$TEAM") ? await CreateTeamAsync(client) : "";

        var response = await client.PostAsync($"admin/{resource}", Json.Body(body.Replace("$TEAM", teamId)));

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", Json.AssertAnthropicError(text));
        Assert.Contains(message, Json.Parse(text).GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Every_admin_request_needs_the_admin_token_and_a_virtual_key_is_not_one()
    {
        using var admin = Host.CreateClient();
        var teamId = await CreateTeamAsync(admin);
        var virtualKey = Json.Parse(await CreateKeyAsync(admin, teamId)).GetProperty("secret").GetString()!;

        foreach (var token in new string?[] { null, "wrong-token-0123456789", virtualKey, AdminHost.Token + "x", "" })
        {
            using var client = Host.CreateClient(token);
            foreach (var (method, path) in new[] { ("GET", "admin/teams"), ("GET", "admin/keys"), ("POST", "admin/keys"), ("GET", "admin/nothing-here") })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? Json.Body("{}") : null };
                var response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                Assert.Equal("authentication_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
            }
        }

        // The virtual key is refused as x-admin-token too, with a message that says why.
        using var asHeader = Host.CreateClient(null);
        asHeader.DefaultRequestHeaders.Add("x-admin-token", virtualKey);
        var refused = await asHeader.GetAsync("admin/keys");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("virtual API key", await refused.Content.ReadAsStringAsync());

        // x-api-key is the data plane's header, not the admin's.
        using var asApiKey = Host.CreateClient(null);
        asApiKey.DefaultRequestHeaders.Add("x-api-key", AdminHost.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await asApiKey.GetAsync("admin/teams")).StatusCode);

        using var withHeader = Host.CreateClient(null);
        withHeader.DefaultRequestHeaders.Add("x-admin-token", AdminHost.Token);
        Assert.Equal(HttpStatusCode.OK, (await withHeader.GetAsync("admin/teams")).StatusCode);
    }

    [Fact]
    public async Task Rotation_gives_a_new_secret_once_and_the_old_hash_is_gone()
    {
        using var client = Host.CreateClient();
        var teamId = await CreateTeamAsync(client);
        var created = Json.Parse(await CreateKeyAsync(client, teamId, ""","limits":{"requests_per_minute":30}"""));
        var keyId = created.GetProperty("id").GetString()!;
        var oldSecret = created.GetProperty("secret").GetString()!;
        var oldHash = KeySecrets.Hash(oldSecret);

        var response = await client.PostAsync($"admin/keys/{keyId}/rotate", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rotated = Json.Parse(await response.Content.ReadAsStringAsync());
        var newSecret = rotated.GetProperty("secret").GetString()!;

        Assert.NotEqual(oldSecret, newSecret);
        Assert.Equal(keyId, rotated.GetProperty("id").GetString());
        Assert.Equal(newSecret[..12], rotated.GetProperty("secret_prefix").GetString());
        Assert.Equal(30, rotated.GetProperty("limits").GetProperty("requests_per_minute").GetInt64());
        Assert.NotEqual(JsonValueKind.Null, rotated.GetProperty("rotated_at").ValueKind);
        Assert.Null(await Host.Store.FindByHashAsync(oldHash));
        Assert.Equal(keyId, (await Host.Store.FindByHashAsync(KeySecrets.Hash(newSecret)))?.KeyId);
        Assert.Equal([oldHash], Host.Notifier.HashesFor(keyId));

        var read = await client.GetStringAsync($"admin/keys/{keyId}");
        Assert.DoesNotContain(newSecret[KeySecrets.Prefix.Length..], read);
        Assert.Equal(newSecret[..12], Json.Parse(read).GetProperty("secret_prefix").GetString());

        var unknown = await client.PostAsync("admin/keys/key_000000000000/rotate", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Revocation_marks_the_key_tells_the_cluster_and_DELETE_does_the_same()
    {
        using var client = Host.CreateClient();
        var teamId = await CreateTeamAsync(client);
        var created = Json.Parse(await CreateKeyAsync(client, teamId));
        var keyId = created.GetProperty("id").GetString()!;
        var hash = KeySecrets.Hash(created.GetProperty("secret").GetString()!);

        var response = await client.PostAsync($"admin/keys/{keyId}/revoke", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var revoked = Json.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("revoked", revoked.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, revoked.GetProperty("revoked_at").ValueKind);
        Assert.False(revoked.TryGetProperty("secret", out _));
        Assert.True((await Host.Store.FindByHashAsync(hash))!.Revoked);
        Assert.Equal([hash], Host.Notifier.HashesFor(keyId));

        // A revoked key stays revoked: it cannot be rotated back to life.
        var rotate = await client.PostAsync($"admin/keys/{keyId}/rotate", null);
        Assert.Equal(HttpStatusCode.BadRequest, rotate.StatusCode);
        Assert.Contains("revoked", await rotate.Content.ReadAsStringAsync());

        var other = Json.Parse(await CreateKeyAsync(client, teamId)).GetProperty("id").GetString()!;
        var deleted = await client.DeleteAsync($"admin/keys/{other}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal("revoked", Json.Parse(await client.GetStringAsync($"admin/keys/{other}")).GetProperty("status").GetString());

        var unknown = await client.DeleteAsync("admin/keys/key_000000000000");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("not_found_error", Json.AssertAnthropicError(await unknown.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task A_key_PATCH_changes_only_the_fields_present()
    {
        using var client = Host.CreateClient();
        var teamId = await CreateTeamAsync(client, billingTag: "team-tag");
        var created = Json.Parse(await CreateKeyAsync(client, teamId,
            ""","billing_tag":"own","limits":{"requests_per_minute":100,"input_tokens_per_minute":1000},"session_limits":{"max_requests":5}"""));
        var keyId = created.GetProperty("id").GetString()!;
        var hash = KeySecrets.Hash(created.GetProperty("secret").GetString()!);

        var first = await PatchKeyAsync(client, keyId, """{"limits":{"input_tokens_per_minute":5000},"session_limits":{"max_cost_usd":1.5}}""");
        Assert.Equal(100, first.GetProperty("limits").GetProperty("requests_per_minute").GetInt64());
        Assert.Equal(5000, first.GetProperty("limits").GetProperty("input_tokens_per_minute").GetInt64());
        Assert.Equal(5, first.GetProperty("session_limits").GetProperty("max_requests").GetInt64());
        Assert.Equal(1.5m, first.GetProperty("session_limits").GetProperty("max_cost_usd").GetDecimal());
        Assert.Equal("own", first.GetProperty("billing_tag").GetString());

        var second = await PatchKeyAsync(client, keyId,
            """{"name":"renamed","billing_tag":null,"allowed_models":["claude-haiku-4-5"],"limits":{"requests_per_minute":null},"session_limits":null}""");
        Assert.Equal("renamed", second.GetProperty("name").GetString());
        Assert.Equal("team-tag", second.GetProperty("billing_tag").GetString());
        Assert.Equal(["claude-haiku-4-5"], second.GetProperty("allowed_models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("limits").GetProperty("requests_per_minute").ValueKind);
        Assert.Equal(5000, second.GetProperty("limits").GetProperty("input_tokens_per_minute").GetInt64());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("session_limits").ValueKind);

        var third = await PatchKeyAsync(client, keyId, """{"limits":null}""");
        Assert.All(third.GetProperty("limits").EnumerateObject(), p => Assert.Equal(JsonValueKind.Null, p.Value.ValueKind));

        Assert.Equal([hash, hash, hash], Host.Notifier.HashesFor(keyId));

        var bad = await client.PatchAsync($"admin/keys/{keyId}", Json.Body("""{"limits":{"concurrent_streams":-2},"team_id":"x"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var message = Json.Parse(await bad.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("message").GetString();
        Assert.Contains("limits.concurrent_streams", message);
        Assert.Contains("Unknown field 'team_id'", message);

        var unknown = await client.PatchAsync("admin/keys/key_000000000000", Json.Body("""{"name":"x"}"""));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("admin/keys/key_000000000000")).StatusCode);
        var nowhere = await client.GetAsync("admin/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, nowhere.StatusCode);
        Assert.Equal("not_found_error", Json.AssertAnthropicError(await nowhere.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Cache_injection_and_ttl_round_trip_through_create_PATCH_and_reads()
    {
        using var client = Host.CreateClient();
        var teamId = await CreateTeamAsync(client);

        // Absent: null in answers, i.e. the gateway's defaults.
        var plain = Json.Parse(await CreateKeyAsync(client, teamId));
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("cache_injection").ValueKind);
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("cache_ttl").ValueKind);

        var created = Json.Parse(await CreateKeyAsync(client, teamId, ""","cache_ttl":"1h","cache_injection":false"""));
        var keyId = created.GetProperty("id").GetString()!;
        var hash = KeySecrets.Hash(created.GetProperty("secret").GetString()!);
        Assert.False(created.GetProperty("cache_injection").GetBoolean());
        Assert.Equal("1h", created.GetProperty("cache_ttl").GetString());
        var read = Json.Parse(await client.GetStringAsync($"admin/keys/{keyId}"));
        Assert.False(read.GetProperty("cache_injection").GetBoolean());
        Assert.Equal("1h", read.GetProperty("cache_ttl").GetString());
        var listed = Json.Parse(await client.GetStringAsync($"admin/keys?team_id={teamId}")).GetProperty("data").EnumerateArray()
            .Single(k => k.GetProperty("id").GetString() == keyId);
        Assert.False(listed.GetProperty("cache_injection").GetBoolean());
        var stored = await Host.Store.FindByHashAsync(hash);
        Assert.Equal((false, "1h"), (stored!.CacheInjection, stored.CacheTtl));

        // A PATCH that names neither keeps both; each one present replaces its value.
        var renamed = await PatchKeyAsync(client, keyId, """{"name":"renamed"}""");
        Assert.False(renamed.GetProperty("cache_injection").GetBoolean());
        Assert.Equal("1h", renamed.GetProperty("cache_ttl").GetString());
        var on = await PatchKeyAsync(client, keyId, """{"cache_injection":true,"cache_ttl":"5m"}""");
        Assert.True(on.GetProperty("cache_injection").GetBoolean());
        Assert.Equal("5m", on.GetProperty("cache_ttl").GetString());

        // null: back to the gateway's defaults.
        var reset = await PatchKeyAsync(client, keyId, """{"cache_injection":null,"cache_ttl":null}""");
        Assert.Equal(JsonValueKind.Null, reset.GetProperty("cache_injection").ValueKind);
        Assert.Equal(JsonValueKind.Null, reset.GetProperty("cache_ttl").ValueKind);
        stored = await Host.Store.FindByHashAsync(hash);
        Assert.Equal((null, null), (stored!.CacheInjection, stored.CacheTtl));
        Assert.Equal([hash, hash, hash], Host.Notifier.HashesFor(keyId)); // every change reaches the cluster's caches

        var bad = await client.PatchAsync($"admin/keys/{keyId}", Json.Body("""{"cache_ttl":"2h","cache_injection":1}"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var message = Json.Parse(await bad.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("message").GetString();
        Assert.Contains("cache_ttl must be", message);
        Assert.Contains("cache_injection must be true, false or null", message);
    }

    private static async Task<string> CreateTeamAsync(HttpClient client, string? billingTag = null)
    {
        var tag = billingTag is null ? "" : $",\"billing_tag\":\"{billingTag}\"";
        var response = await client.PostAsync("admin/teams", Json.Body($$"""{"name":"team-{{Guid.NewGuid():N}}"{{tag}}}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return Json.Parse(await response.Content.ReadAsStringAsync()).GetProperty("id").GetString()!;
    }

    private static async Task<string> CreateKeyAsync(HttpClient client, string teamId, string moreFields = "")
    {
        var response = await client.PostAsync("admin/keys", Json.Body($$"""{"team_id":"{{teamId}}","name":"key"{{moreFields}}}"""));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return body;
    }

    private static async Task<JsonElement> PatchKeyAsync(HttpClient client, string keyId, string body)
    {
        var response = await client.PatchAsync($"admin/keys/{keyId}", Json.Body(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return Json.Parse(text);
    }

    private async Task<List<string>> AllRowsAsTextAsync()
    {
        var rows = new List<string>();
        var tables = new List<string>();
        await using (var list = fixture.Database.DataSource.CreateCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }
        Assert.Contains("api_keys", tables);
        foreach (var table in tables)
        {
            await using var select = fixture.Database.DataSource.CreateCommand($"SELECT row_to_json(t)::text FROM \"{table}\" t");
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(reader.GetString(0));
            }
        }
        return rows;
    }
}
