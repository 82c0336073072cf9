using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gateway.FakeUpstream;
using Gateway.Front.Paths;
using Gateway.Grains.Storage;
using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Reliability;
using Microsoft.AspNetCore.Routing.Patterns;
using Xunit.Abstractions;

namespace Gateway.Tests.Security;

/// <summary>
/// Every <c>/v1</c> path a virtual key can reach is metered and owned, or refused: unmapped paths get a
/// 403 unless the key's administrator opened them (knowingly unmetered, audited), and paths are matched
/// on the raw request target, so no spelling of a path (<c>//</c>, <c>%2F</c>, dot segments, case) can
/// slip past the metered endpoints to the upstream. Each refusal is checked upstream (nothing arrived)
/// and in Postgres (no row, no charge).
/// </summary>
public sealed class PathPolicyTests(PathPolicyHost host, ITestOutputHelper output) : IClassFixture<PathPolicyHost>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Unmapped_v1_paths_answer_403_naming_the_path_and_reach_nothing()
    {
        var attacker = await host.TenantAsync(allowedModels: ["claude-haiku-*"]);
        var marker = await host.TenantAsync();
        var before = host.Upstream.Received.Count;
        using var client = host.Client(attacker.Secret);

        var probes = new (HttpMethod Method, string Path, string? Body)[]
        {
            (HttpMethod.Post, "/v1/complete", """{"model":"claude-2.1","prompt":"\n\nHuman: hi\n\nAssistant:","max_tokens_to_sample":5}"""),
            (HttpMethod.Get, "/v1/files", null),
            (HttpMethod.Get, "/v1/files/file_011CNha8iCJcU1wXNR6q4V8w/content", null),
            (HttpMethod.Delete, "/v1/files/file_011CNha8iCJcU1wXNR6q4V8w", null),
            (HttpMethod.Get, "/v1/organizations/me", null),
            (HttpMethod.Post, "/v1/some/future/beta?beta=true", "{}"),
            (HttpMethod.Post, "/v1/models", "{}"),
            (HttpMethod.Delete, "/v1/models/claude-haiku-4-5-20251001", null),
        };
        foreach (var (method, path, body) in probes)
        {
            using var request = new HttpRequestMessage(method, path.TrimStart('/'));
            if (body is not null)
            {
                request.Content = Json.Body(body);
            }
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.StatusCode} {text}");
            Assert.Equal("permission_error", Json.AssertAnthropicError(text));
            var message = Json.Parse(text).GetProperty("error").GetProperty("message").GetString()!;
            Assert.Contains($"{method.Method} {path.Split('?')[0]}", message);
        }

        // Without a key it is a 401, as everywhere: the policy says nothing to strangers.
        using (var stranger = new HttpClient { BaseAddress = host.Front.BaseAddress })
        using (var response = await stranger.PostAsync("v1/complete", Json.Body("{}")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        Assert.Empty(host.ReceivedSince(before));
        await host.SettleAsync(marker);
        await host.AssertNothingChargedAsync(attacker);
    }

    public static TheoryData<string, int, string> NonCanonical => new()
    {
        { "/v1//messages", 400, "empty path segments" },
        { "/v1/messages/", 400, "empty path segments" },
        { "/v1/messages%2F", 400, "percent-encoded" },
        { "/v1/messages%2f", 400, "percent-encoded" },
        { "/v1/messages%5Ccount_tokens", 400, "percent-encoded" },
        { "/v1/./messages", 400, "'.' and '..'" },
        { "/v1/a/../messages", 400, "'.' and '..'" },
        { "/v1/messages/.", 400, "'.' and '..'" },
        { "/%76%31/messages", 400, "percent-encoded" },
        { "/v1/../admin/keys", 400, "'.' and '..'" },
        { "/V1/Messages", 404, "case-sensitive" },
        { "/v1/Messages", 404, "case-sensitive" },
        { "/V1/messages", 404, "case-sensitive" },
        { "/v1/messages/COUNT_TOKENS", 404, "case-sensitive" },
        { "/v1/Chat/Completions", 404, "case-sensitive" },
        { "/V1/files", 404, "case-sensitive" },
        { "/v1/Messages/count_tokens", 404, "case-sensitive" },
    };

    [Theory]
    [MemberData(nameof(NonCanonical))]
    public async Task Non_canonical_spellings_of_a_path_are_refused_before_any_endpoint(string path, int status, string reason)
    {
        // A key that opened everything under /v1: even so, no spelling may slip past the metered endpoints.
        var attacker = await host.TenantAsync(openPaths: ["/v1/*"]);
        var marker = await host.TenantAsync();
        var before = host.Upstream.Received.Count;

        var body = Encoding.UTF8.GetBytes(Json.SmallRequest);
        var head = RawHttp.Head(host.Front.BaseAddress, "POST", path + "?beta=true", [$"x-api-key: {attacker.Secret}", "anthropic-version: 2023-06-01"], body.Length);
        var reply = await RawHttp.SendAsync(host.Front.BaseAddress, RawHttp.Concat(head, body), Deadline);

        Assert.True(reply.Status == status, $"{path}: {reply.Status} {reply.Body}");
        Assert.Equal(status == 400 ? "invalid_request_error" : "not_found_error", Json.AssertAnthropicError(reply.Body));
        var message = Json.Parse(reply.Body).GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains(reason, message);
        Assert.Contains(path, message);
        Assert.DoesNotContain("beta=true", message);

        Assert.Empty(host.ReceivedSince(before));
        await host.SettleAsync(marker);
        await host.AssertNothingChargedAsync(attacker);
    }

    [Fact]
    public async Task A_backslash_or_an_absolute_target_never_reaches_the_upstream()
    {
        var attacker = await host.TenantAsync(openPaths: ["/v1/*"]);
        var before = host.Upstream.Received.Count;
        var body = Encoding.UTF8.GetBytes(Json.SmallRequest);
        foreach (var target in new[] { "/v1\\messages", "/v1/messages\\", $"http://{host.Front.BaseAddress.Authority}/v1/messages" })
        {
            var head = RawHttp.Head(host.Front.BaseAddress, "POST", target, [$"x-api-key: {attacker.Secret}"], body.Length);
            var reply = await RawHttp.SendAsync(host.Front.BaseAddress, RawHttp.Concat(head, body), Deadline);
            // Kestrel may refuse the request line itself (a bare 400) before the gateway sees it; either way a 400.
            Assert.True(reply.Status == 400, $"{target}: {reply.Status} {reply.Body}");
            if (reply.Body.Length > 0)
            {
                Assert.Equal("invalid_request_error", Json.AssertAnthropicError(reply.Body));
            }
        }
        Assert.Empty(host.ReceivedSince(before));
    }

    [Fact]
    public async Task Canonical_paths_keep_working_with_their_query_strings()
    {
        var tenant = await host.TenantAsync();
        var before = host.Upstream.Received.Count;
        using var client = host.Client(tenant.Secret);

        using (var response = await client.PostAsync("v1/messages?beta=true", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await host.RowAsync(response.Headers.GetValues("request-id").First());
        }
        using (var response = await client.PostAsync("v1/messages/count_tokens?beta=true", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        // Percent-escapes and odd characters in the query string are the query's business, not the path's.
        using (var response = await client.PostAsync("v1/messages?beta=true&x=%2F..%2F", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var paths = host.ReceivedSince(before).Select(r => r.PathAndQuery).ToList();
        Assert.Equal(["/v1/messages?beta=true", "/v1/messages/count_tokens?beta=true", "/v1/messages?beta=true&x=%2F..%2F"], paths);
        // The metered endpoint still meters: the first call's row is there, charged to this key.
        Assert.True(await host.ScalarAsync<long>("SELECT count(*) FROM request_log WHERE key_id = @k AND endpoint = 'messages'", ("k", tenant.KeyId)) >= 1);
    }

    [Fact]
    public async Task Health_root_metrics_and_admin_are_not_affected()
    {
        using var plain = new HttpClient { BaseAddress = host.Front.BaseAddress };
        using (var head = await plain.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/")))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        }
        using (var health = await plain.GetAsync("healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        using (var metrics = await plain.GetAsync("metrics"))
        {
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            Assert.Contains("gateway_rejections_total", await metrics.Content.ReadAsStringAsync());
        }
        using (var teams = await host.Admin.GetAsync("admin/teams"))
        {
            Assert.Equal(HttpStatusCode.OK, teams.StatusCode);
        }
        using (var unknown = await plain.GetAsync("nope"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("not_found_error", Json.AssertAnthropicError(await unknown.Content.ReadAsStringAsync()));
        }
    }

    [Fact]
    public async Task A_key_with_an_open_path_reaches_it_unmetered_and_audited_while_another_key_cannot()
    {
        var opener = await host.TenantAsync(openPaths: ["/v1/files*"]);
        var other = await host.TenantAsync();
        var marker = await host.TenantAsync();

        var before = host.Upstream.Received.Count;
        using (var client = host.Client(other.Secret))
        using (var response = await client.GetAsync("v1/files?limit=5"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("permission_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        }
        Assert.Empty(host.ReceivedSince(before));

        string requestId;
        using (var client = host.Client(opener.Secret))
        {
            using var response = await client.GetAsync("v1/files?limit=5");
            // The fake upstream has no files endpoint: its own 404 comes back, so the request went there.
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("not_found_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
            requestId = response.Headers.GetValues("request-id").First();
            Assert.DoesNotContain("req_gw_", requestId);

            // The open path is that prefix only: Text Completions stay closed for this key.
            using var complete = await client.PostAsync("v1/complete", Json.Body("{}"));
            Assert.Equal(HttpStatusCode.Forbidden, complete.StatusCode);
        }
        var seen = Assert.Single(host.ReceivedSince(before));
        Assert.Equal(("GET", "/v1/files?limit=5"), (seen.Method, seen.PathAndQuery));
        Assert.Equal("sk-upstream-test", seen.Headers["x-api-key"]);
        Assert.DoesNotContain(seen.Headers.Values, v => v.Contains(opener.Secret));

        // Audited under its key as "passthrough", never charged; the other key left no trace.
        await host.RowAsync(requestId);
        await host.SettleAsync(marker);
        Assert.Equal("passthrough", await host.ScalarAsync<string>("SELECT endpoint FROM request_log WHERE request_id = @r", ("r", requestId)));
        Assert.Equal(opener.TeamId, await host.ScalarAsync<string>("SELECT team_id FROM request_log WHERE request_id = @r", ("r", requestId)));
        Assert.Equal(0m, await host.ScalarAsync<decimal>("SELECT cost_usd FROM request_log WHERE request_id = @r", ("r", requestId)));
        Assert.Equal(0m, await host.ScalarAsync<decimal>("SELECT coalesce(sum(spent_usd), 0) FROM key_spend WHERE key_id = @k", ("k", opener.KeyId)));
        await host.AssertNothingChargedAsync(other);
    }

    [Fact]
    public async Task Model_listing_works_for_a_key_and_a_model_it_may_not_use_is_not_found()
    {
        var tenant = await host.TenantAsync(allowedModels: ["claude-haiku-*"]);
        var marker = await host.TenantAsync();
        using var client = host.Client(tenant.Secret);
        var before = host.Upstream.Received.Count;

        using (var list = await client.GetAsync("v1/models?limit=1000"))
        {
            // Narrowed to what the key may use; the paging fields come through as the upstream sent them.
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            var page = Json.Parse(await list.Content.ReadAsStringAsync());
            Assert.Equal(["claude-haiku-4-5-20251001"], page.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
            Assert.False(page.GetProperty("has_more").GetBoolean());
            Assert.Equal(JsonValueKind.String, page.GetProperty("last_id").ValueKind);
        }
        using (var unrestricted = host.Client(marker.Secret))
        using (var list = await unrestricted.GetAsync("v1/models?limit=1000"))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            Assert.Equal(7, Json.Parse(await list.Content.ReadAsStringAsync()).GetProperty("data").GetArrayLength());
        }
        using (var allowed = await client.GetAsync("v1/models/claude-haiku-4-5-20251001"))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.Equal("claude-haiku-4-5-20251001", Json.Parse(await allowed.Content.ReadAsStringAsync()).GetProperty("id").GetString());
        }
        using (var forbidden = await client.GetAsync("v1/models/claude-sonnet-4-5-20250929"))
        {
            Assert.Equal(HttpStatusCode.NotFound, forbidden.StatusCode);
            Assert.Equal("not_found_error", Json.AssertAnthropicError(await forbidden.Content.ReadAsStringAsync()));
        }
        Assert.Equal(["/v1/models?limit=1000", "/v1/models?limit=1000", "/v1/models/claude-haiku-4-5-20251001"], host.ReceivedSince(before).Select(r => r.PathAndQuery));

        // Listing is free and unmetered: no row, no charge.
        await host.SettleAsync(marker);
        await host.AssertNothingChargedAsync(tenant);
    }

    [Fact]
    public async Task Open_paths_are_validated_stored_returned_and_cleared_through_the_admin_api()
    {
        var tenant = await host.TenantAsync(openPaths: ["/v1/files*", "/v1/organizations/me"]);
        using (var get = await host.Admin.GetAsync($"admin/keys/{tenant.KeyId}"))
        {
            var key = Json.Parse(await get.Content.ReadAsStringAsync());
            Assert.Equal(["/v1/files*", "/v1/organizations/me"], key.GetProperty("open_paths").EnumerateArray().Select(e => e.GetString()));
        }
        Assert.Equal(2, await host.ScalarAsync<int>("SELECT cardinality(open_paths) FROM api_keys WHERE key_id = @k", ("k", tenant.KeyId)));

        var bad = new[]
        {
            "/v2/files", "v1/files", "/v1", "/v1//files", "/v1/./files", "/v1/files/..", "/v1/%2Ffiles", "/v1\\files",
            "/v1/*/content", "/v1/files?x=1", "/v1/files#x", "/v1/fil es", "/v1/" + new string('a', 300), "",
        };
        foreach (var path in bad)
        {
            using var patch = await host.Admin.PatchAsJsonAsync($"admin/keys/{tenant.KeyId}", new { open_paths = new[] { path } });
            var text = await patch.Content.ReadAsStringAsync();
            Assert.True(patch.StatusCode == HttpStatusCode.BadRequest, $"'{path}': {(int)patch.StatusCode} {text}");
            Assert.Contains("open_paths", text);
        }
        using (var tooMany = await host.Admin.PatchAsJsonAsync($"admin/keys/{tenant.KeyId}",
            new { open_paths = Enumerable.Range(0, 33).Select(i => $"/v1/p{i}").ToArray() }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        }
        using (var create = await host.Admin.PostAsJsonAsync("admin/keys", new { team_id = tenant.TeamId, name = "bad", open_paths = new[] { "/admin/keys" } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, create.StatusCode);
        }

        // A PATCH without the field keeps it; an empty list closes every path again, at once for the key.
        using (var rename = await host.Admin.PatchAsJsonAsync($"admin/keys/{tenant.KeyId}", new { name = "renamed" }))
        {
            Assert.Equal(2, Json.Parse(await rename.Content.ReadAsStringAsync()).GetProperty("open_paths").GetArrayLength());
        }
        using (var clear = await host.Admin.PatchAsJsonAsync($"admin/keys/{tenant.KeyId}", new { open_paths = Array.Empty<string>() }))
        {
            Assert.Equal(HttpStatusCode.OK, clear.StatusCode);
            Assert.Equal(0, Json.Parse(await clear.Content.ReadAsStringAsync()).GetProperty("open_paths").GetArrayLength());
        }
        using var client = host.Client(tenant.Secret);
        await Eventually.HoldsAsync("the cleared key is refused the path it had opened", async () =>
        {
            using var response = await client.GetAsync("v1/organizations/me");
            return response.StatusCode == HttpStatusCode.Forbidden;
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Both_key_stores_keep_open_paths_and_refuse_bad_ones()
    {
        var memory = new InMemoryKeyStore();
        var team = await memory.CreateTeamAsync(new NewTeam("t", null));
        var key = await memory.CreateKeyAsync(new NewKey { TeamId = team.TeamId, OpenPaths = ["/v1/files*"] }, new string('a', 64), "sk-gw-aaaaaa");
        Assert.Equal(["/v1/files*"], key.OpenPaths);
        Assert.Equal(["/v1/files*"], (await memory.FindByHashAsync(new string('a', 64)))!.OpenPaths);
        Assert.Equal(["/v1/files*"], (await memory.UpdateKeyAsync(key.KeyId, new KeyUpdate { Name = "renamed" }))!.Key.OpenPaths);
        Assert.Empty((await memory.UpdateKeyAsync(key.KeyId, new KeyUpdate { OpenPaths = [] }))!.Key.OpenPaths);
        await Assert.ThrowsAsync<ArgumentException>(() => memory.UpdateKeyAsync(key.KeyId, new KeyUpdate { OpenPaths = ["/v1/../admin"] }));
        await Assert.ThrowsAsync<ArgumentException>(() => memory.CreateKeyAsync(new NewKey { TeamId = team.TeamId, OpenPaths = ["/admin/*"] }, new string('b', 64), "sk-gw-bbbbbb"));

        var postgres = new PostgresKeyStore(host.Database.DataSource);
        var tenant = await host.TenantAsync(openPaths: ["/v1/organizations/me"]);
        Assert.Equal(["/v1/organizations/me"], (await postgres.FindByIdAsync(tenant.KeyId))!.OpenPaths);
        await Assert.ThrowsAsync<ArgumentException>(() => postgres.UpdateKeyAsync(tenant.KeyId, new KeyUpdate { OpenPaths = ["/v1//files"] }));
        Assert.Equal(["/v1/organizations/me"], (await postgres.FindByIdAsync(tenant.KeyId))!.OpenPaths);

        // The database bounds the count itself, whoever writes.
        await using var tooMany = host.Database.DataSource.CreateCommand(
            $"UPDATE api_keys SET open_paths = array_fill('/v1/x'::text, ARRAY[33]) WHERE key_id = '{tenant.KeyId}'");
        var e = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => tooMany.ExecuteNonQueryAsync());
        Assert.Equal("api_keys_open_paths_check", e.ConstraintName);
    }

    [Fact]
    public void The_canonical_check_of_a_good_path_allocates_nothing()
    {
        var pattern = RoutePatternFactory.Parse("/v1/messages/batches/{id}/results");
        const string path = "/v1/messages/batches/msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d/results";
        Assert.Null(CanonicalPath.Problem(path, path));
        Assert.True(CanonicalPath.LiteralsMatchCase(pattern, path));
        Assert.False(CanonicalPath.LiteralsMatchCase(pattern, "/v1/messages/Batches/x/results"));
        Assert.False(CanonicalPath.LiteralsMatchCase(RoutePatternFactory.Parse("/v1/{**path}"), "/V1/files"));
        Assert.True(CanonicalPath.LiteralsMatchCase(RoutePatternFactory.Parse("/v1/{**path}"), "/v1/Files/X"));
        Assert.Equal("percent-encoded characters (such as %2F) are not allowed in paths", CanonicalPath.Problem("/v1/messages%2F", "/v1/messages%2F"));
        Assert.NotNull(CanonicalPath.Problem("/v1/Messages", "/v1/messages"));

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            _ = CanonicalPath.IsApi(path) && CanonicalPath.Problem(CanonicalPath.PathOf(path), path) is null
                && CanonicalPath.LiteralsMatchCase(pattern, path);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        // A figure for the record, not asserted (the machine is shared): the cost of the check per request.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 100_000; i++)
        {
            _ = CanonicalPath.IsApi(path) && CanonicalPath.Problem(CanonicalPath.PathOf(path), path) is null
                && CanonicalPath.LiteralsMatchCase(pattern, path);
        }
        output.WriteLine($"canonical check: {clock.Elapsed.TotalNanoseconds / 100_000:F0} ns per request");
    }

    [Fact]
    public async Task Pass_through_mode_still_forwards_every_canonical_v1_path()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var front = await FrontHost.StartAsync(upstream.BaseAddress);
        using var client = front.CreateClient();

        using (var complete = await client.PostAsync("v1/complete?beta=true", Json.Body("{}")))
        using (var files = await client.GetAsync("v1/files"))
        {
            Assert.NotEqual(HttpStatusCode.Forbidden, complete.StatusCode);
            Assert.NotEqual(HttpStatusCode.Forbidden, files.StatusCode);
        }
        Assert.Equal(["/v1/complete?beta=true", "/v1/files"], upstream.Received.Select(r => r.PathAndQuery));

        // Canonical paths hold in every mode: a doubled slash misses nothing and reaches nobody.
        var body = Encoding.UTF8.GetBytes(Json.SmallRequest);
        var head = RawHttp.Head(front.BaseAddress, "POST", "/v1//messages", ["x-api-key: sk-client-test"], body.Length);
        var reply = await RawHttp.SendAsync(front.BaseAddress, RawHttp.Concat(head, body), Deadline);
        Assert.Equal(400, reply.Status);
        Assert.Equal(2, upstream.Received.Count);
    }
}
