using System.Net;
using System.Text;
using Gateway.Front.Envelope;
using Gateway.Grains.Abstractions;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Reliability;

/// <summary>
/// Hostile and broken input against a front with virtual keys: each gets a clear answer with the right
/// status (Anthropic's error shape whenever the request reaches the gateway's code; Kestrel's bare status
/// when it is refused at the protocol level, before any of it runs), nothing reaches the upstream,
/// nothing is charged or audited, and another tenant's requests keep succeeding meanwhile.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class BadInputTests(BadInputHost host) : IClassFixture<BadInputHost>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Malformed_mistyped_and_hostile_bodies_get_a_400_and_cost_nothing()
    {
        var (victim, attacker) = await TenantsAsync();
        var fixture = File.ReadAllBytes(RepoPaths.Fixture("claude-code", "messages-main-turn.json"));
        var invalidUtf8 = Encoding.UTF8.GetBytes(Json.SmallRequest);
        invalidUtf8[invalidUtf8.Length - 8] = 0xC3;
        var bodies = new List<(string Name, byte[] Bytes)>
        {
            ("malformed", "{\"model\":"u8.ToArray()),
            ("truncated fixture", fixture[..(fixture.Length / 3)]),
            ("nesting 129", Nest(129)),
            ("nesting 10000", Nest(10_000)),
            ("invalid UTF-8", invalidUtf8),
            ("empty", []),
            ("array", "[]"u8.ToArray()),
            ("string", "\"hello\""u8.ToArray()),
            ("number", "42"u8.ToArray()),
            ("null", "null"u8.ToArray()),
            ("two objects", Encoding.UTF8.GetBytes(Json.SmallRequest + "{}")),
            ("model number", Replace("\"claude-sonnet-4-5\"", "42")),
            ("model null", Replace("\"claude-sonnet-4-5\"", "null")),
            ("model lone surrogate", Replace("\"claude-sonnet-4-5\"", "\"claude\\ud800\"")),
            ("stream string", Replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":\"yes\"")),
            ("stream number", Replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":1")),
            ("max_tokens string", Replace("\"max_tokens\":64", "\"max_tokens\":\"64\"")),
            ("max_tokens fraction", Replace("\"max_tokens\":64", "\"max_tokens\":1.5")),
            ("max_tokens zero", Replace("\"max_tokens\":64", "\"max_tokens\":0")),
            ("max_tokens negative", Replace("\"max_tokens\":64", "\"max_tokens\":-100")),
            ("max_tokens huge", Replace("\"max_tokens\":64", "\"max_tokens\":1e40")),
        };
        var upstreamBefore = host.Upstream.Received.Count;
        await using var neighbour = new NeighbourTraffic(host, victim);
        using var client = host.Client(attacker.Secret);
        foreach (var (name, bytes) in bodies)
        {
            using var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new("application/json");
            using var response = await client.PostAsync("v1/messages", content);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {text}");
            Assert.Equal("invalid_request_error", Json.AssertAnthropicError(text));
        }
        var served = await neighbour.StopAsync();

        await host.SettleAsync(victim);
        Assert.Equal(upstreamBefore + served + 1, host.Upstream.Received.Count);
        await host.AssertNothingChargedAsync(attacker);
    }

    [Fact]
    public async Task Bodies_over_the_limit_and_lying_content_lengths_get_a_clear_answer()
    {
        var (victim, attacker) = await TenantsAsync();
        var upstreamBefore = host.Upstream.Received.Count;
        await using var neighbour = new NeighbourTraffic(host, victim);

        // Declared over the limit: refused at once, before the body is read.
        var big = Encoding.UTF8.GetBytes(Json.SmallRequest.Replace("Say hello", new string('x', BadInputHost.BodyLimit + 10)));
        using (var client = host.Client(attacker.Secret))
        using (var content = new ByteArrayContent(big))
        {
            content.Headers.ContentType = new("application/json");
            using var response = await client.PostAsync("v1/messages", content);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("request_too_large", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        }

        // A Content-Length of 10 MB over a 10-byte body: the declared size alone is refused.
        var head = RawHttp.Head(host.Front.BaseAddress, "POST", "/v1/messages", [$"x-api-key: {attacker.Secret}"], 10_000_000);
        var claimed = await RawHttp.SendAsync(host.Front.BaseAddress, RawHttp.Concat(head, "{\"model\":1"u8.ToArray()), Deadline);
        Assert.Equal(413, claimed.Status);
        Assert.Equal("request_too_large", Json.AssertAnthropicError(claimed.Body));

        // A Content-Length shorter than the body: the gateway reads what was declared, a cut document.
        var body = Encoding.UTF8.GetBytes(Json.SmallRequest);
        head = RawHttp.Head(host.Front.BaseAddress, "POST", "/v1/messages", [$"x-api-key: {attacker.Secret}"], 20);
        var shorter = await RawHttp.SendAsync(host.Front.BaseAddress, RawHttp.Concat(head, body), Deadline);
        Assert.Equal(400, shorter.Status);
        Assert.Equal("invalid_request_error", Json.AssertAnthropicError(shorter.Body));

        // A Content-Length longer than what comes, then silence: Kestrel's minimum body data rate
        // (240 B/s after a 5 s grace) ends the wait, and the client hears why.
        head = RawHttp.Head(host.Front.BaseAddress, "POST", "/v1/messages", [$"x-api-key: {attacker.Secret}"], 5_000);
        var stalled = await RawHttp.SendAsync(host.Front.BaseAddress, RawHttp.Concat(head, body), Deadline);
        Assert.True(stalled.Status == 408, $"stalled body: {stalled.Status} after {stalled.Elapsed}: {stalled.Head} {stalled.Body}");
        Assert.Equal("invalid_request_error", Json.AssertAnthropicError(stalled.Body));

        var served = await neighbour.StopAsync();
        await host.SettleAsync(victim);
        Assert.Equal(upstreamBefore + served + 1, host.Upstream.Received.Count);
        await host.AssertNothingChargedAsync(attacker);
    }

    [Fact]
    public async Task Header_tricks_are_refused_before_they_reach_a_key_or_the_upstream()
    {
        var (victim, attacker) = await TenantsAsync();
        var upstreamBefore = host.Upstream.Received.Count;
        await using var neighbour = new NeighbourTraffic(host, victim);
        var body = Encoding.UTF8.GetBytes(Json.SmallRequest);

        async Task<RawHttp.Reply> Send(params string[] headers) =>
            await RawHttp.SendAsync(host.Front.BaseAddress,
                RawHttp.Concat(RawHttp.Head(host.Front.BaseAddress, "POST", "/v1/messages", headers, body.Length), body), Deadline);

        // A CR inside a header value is a protocol error: Kestrel answers 400 and closes, nothing of the
        // request reaches the gateway's code. So is a NUL.
        foreach (var injected in new[] { $"x-api-key: {attacker.Secret}\rx-injected: 1", $"x-api-key: {attacker.Secret}", "X-Claude-Code-Session-Id: s\u0000x" })
        {
            if (!injected.Contains('\r') && !injected.Contains('\0'))
            {
                continue;
            }
            var reply = await Send(injected);
            Assert.True(reply.Status == 400, $"{Escape(injected)}: {reply.Status} {reply.Head}");
        }

        // Odd bytes in the key: refused by Kestrel (non-ASCII) or by the key lookup (control
        // characters it lets through): never a 5xx, never a match.
        foreach (var odd in new[] { "x-api-key: sk-\u00ff\u00fe-latin1", "x-api-key: sk-\u0001\u0002", "x-api-key: \t", "Authorization: Bearer \u00e9" })
        {
            var reply = await Send(odd);
            Assert.True(reply.Status is 400 or 401, $"{Escape(odd)}: {reply.Status} {reply.Head}");
            if (reply.Status == 401)
            {
                Assert.Equal("authentication_error", Json.AssertAnthropicError(reply.Body));
            }
        }

        // A long but legal key is hashed and refused like any unknown key.
        var longKey = await Send("x-api-key: sk-gw-" + new string('k', 8_000));
        Assert.Equal(401, longKey.Status);
        Assert.Equal("authentication_error", Json.AssertAnthropicError(longKey.Body));

        // Headers past Kestrel's 32 KB total: 431, before anything is read.
        var oversized = await Send($"x-api-key: {attacker.Secret}", "x-padding: " + new string('p', 40_000));
        Assert.Equal(431, oversized.Status);

        var served = await neighbour.StopAsync();
        await host.SettleAsync(victim);
        Assert.Equal(upstreamBefore + served + 1, host.Upstream.Received.Count);
        await host.AssertNothingChargedAsync(attacker);
    }

    [Fact]
    public async Task A_bare_LF_in_a_header_splits_it_in_two_and_cannot_smuggle_a_credential_upstream()
    {
        var (victim, tenant) = await TenantsAsync();
        host.Upstream.ClearReceived();
        var body = Encoding.UTF8.GetBytes(Json.SmallRequest);
        // Kestrel takes a bare LF as a line end (RFC 9112 allows it), so "a\nb: c" is two headers: what
        // reaches the gateway is a header the client could have sent anyway. What matters is that no
        // credential rides along: the client's x-api-key and Authorization are replaced, however sent.
        var head = RawHttp.Head(host.Front.BaseAddress, "POST", "/v1/messages",
            [$"x-api-key: {tenant.Secret}\nx-smuggled: 1", "anthropic-beta: b1\nauthorization: Bearer sk-ant-smuggled"], body.Length);
        var reply = await RawHttp.SendAsync(host.Front.BaseAddress, RawHttp.Concat(head, body), Deadline);
        Assert.True(reply.Status == 200, $"{reply.Status} {reply.Head} {reply.Body}");
        var received = Assert.Single(host.Upstream.Received);
        Assert.Equal("sk-upstream-test", received.Headers["x-api-key"]);
        Assert.False(received.Headers.ContainsKey("authorization"));
        Assert.Equal("1", received.Headers["x-smuggled"]);
        Assert.Equal("b1", received.Headers["anthropic-beta"]);
        await host.SettleAsync(victim);
        Assert.Equal(1L, await host.ScalarAsync<long>("SELECT count(*) FROM request_log WHERE key_id = @k", ("k", tenant.KeyId)));
    }

    [Fact]
    public async Task Slow_loris_clients_are_cut_by_the_header_timeout_and_the_body_data_rate()
    {
        var (victim, attacker) = await TenantsAsync();
        var upstreamBefore = host.Upstream.Received.Count;
        await using var neighbour = new NeighbourTraffic(host, victim);
        var body = Encoding.UTF8.GetBytes(Json.SmallRequest);
        var request = RawHttp.Concat(RawHttp.Head(host.Front.BaseAddress, "POST", "/v1/messages", [$"x-api-key: {attacker.Secret}"], body.Length), body);
        var headEnd = request.Length - body.Length;

        // Headers a byte every 200 ms: cut at the header timeout (2 s here), long before they end.
        var slowHeaders = Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            RawHttp.SendAsync(host.Front.BaseAddress, request, Deadline, byteDelay: TimeSpan.FromMilliseconds(200))));
        // Headers at once, then the body a byte every 300 ms: under 240 B/s once the 5 s grace is over.
        var slowBodies = Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            RawHttp.SendAsync(host.Front.BaseAddress, request, Deadline, byteDelay: TimeSpan.FromMilliseconds(300), trickleFrom: headEnd)));
        foreach (var reply in await slowHeaders)
        {
            // Kestrel's own answer (the headers never reached the gateway's code): 408 and the connection closed.
            Assert.True(reply.Status == 408, $"slow headers: {reply.Status} after {reply.Elapsed}: {reply.Head}");
            Assert.Equal("close", reply.Header("Connection"));
            Assert.InRange(reply.Elapsed, TimeSpan.Zero, BadInputHost.HeaderTimeout + TimeSpan.FromSeconds(6));
        }
        foreach (var reply in await slowBodies)
        {
            Assert.True(reply.Status == 408, $"slow body: {reply.Status} after {reply.Elapsed}: {reply.Head} {reply.Body}");
            Assert.Equal("invalid_request_error", Json.AssertAnthropicError(reply.Body));
            Assert.InRange(reply.Elapsed, TimeSpan.Zero, Deadline - TimeSpan.FromSeconds(1));
        }

        var served = await neighbour.StopAsync();
        await host.SettleAsync(victim);
        Assert.Equal(upstreamBefore + served + 1, host.Upstream.Received.Count);
        await host.AssertNothingChargedAsync(attacker);
    }

    [Fact]
    public async Task A_forged_session_id_neither_reads_nor_writes_another_tenants_session()
    {
        var victim = await GatewayKeys.CreateAsync(host.Admin, sessionLimits: new { max_requests = 3 });
        var attacker = await GatewayKeys.CreateAsync(host.Admin, sessionLimits: new { max_requests = 100, max_cost_usd = 0.000001m });
        var session = Guid.NewGuid().ToString();

        using var owner = host.Client(victim.Secret, session);
        using var forger = host.Client(attacker.Secret, session);
        for (var i = 0; i < 2; i++)
        {
            using var ok = await owner.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        var grain = host.Front.Services.GetRequiredService<IGrainFactory>().GetGrain<ISessionGrain>(session);
        await EventuallyAsync(async () => (await grain.GetUsageAsync()).Requests == 2);

        // The forger names the victim's session: its requests are its own (admitted on its key), and
        // the victim's session neither counts them nor tells the forger anything about itself.
        for (var i = 0; i < 4; i++)
        {
            using var forged = await forger.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            var text = await forged.Content.ReadAsStringAsync();
            Assert.True(forged.StatusCode == HttpStatusCode.OK, $"forged request {i}: {(int)forged.StatusCode} {text}");
        }
        await host.SettleAsync(victim);
        var usage = await grain.GetUsageAsync();
        Assert.Equal(victim.KeyId, usage.KeyId);
        Assert.Equal(2, usage.Requests);

        // The victim's own limit still holds, at its own count: a third request passes, a fourth is refused.
        using (var third = await owner.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        }
        await EventuallyAsync(async () => (await grain.GetUsageAsync()).Requests == 3);
        using (var fourth = await owner.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal((HttpStatusCode)429, fourth.StatusCode);
            Assert.Equal("rate_limit_error", Json.AssertAnthropicError(await fourth.Content.ReadAsStringAsync()));
        }

        // The forger's usage is its own: on its key, in request_log under the session id it sent.
        await host.SettleAsync(victim);
        Assert.Equal(4L, await host.ScalarAsync<long>("SELECT count(*) FROM request_log WHERE key_id = @k AND session_id = @s", ("k", attacker.KeyId), ("s", session)));
        await EventuallyAsync(async () => await host.ScalarAsync<long>("SELECT coalesce(max(requests), 0) FROM session_usage WHERE session_id = @s", ("s", session)) == 3);
        Assert.Equal(victim.KeyId, await host.ScalarAsync<string>("SELECT key_id FROM session_usage WHERE session_id = @s", ("s", session)));
    }

    [Fact]
    public async Task Very_long_and_weird_session_ids_are_served_and_stored_as_bounded_digests()
    {
        var (victim, tenant) = await TenantsAsync();
        var weird = new[]
        {
            ("header", "s-" + new string('L', 8_000), (string?)null),
            ("header", "with spaces, tabs\tand {braces}", null),
            ("user_id", null, "{\\\"device_id\\\":\\\"d\\\",\\\"session_id\\\":\\\"nul\\\\u0000byte\\\"}"),
            ("user_id", null, "user_x_account__session_" + new string('z', 5_000)),
        };
        foreach (var (where, header, userId) in weird)
        {
            var body = userId is null ? Json.SmallRequest
                : Json.SmallRequest.Replace("\"max_tokens\":64", $"\"max_tokens\":64,\"metadata\":{{\"user_id\":\"{userId}\"}}");
            using var client = host.Client(tenant.Secret);
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(body) };
            if (header is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Claude-Code-Session-Id", header);
            }
            using var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{where}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        await host.SettleAsync(victim);
        // Every request is audited, under a digest the index and the session table can hold.
        var sessions = new List<string>();
        await using (var command = host.Database.DataSource.CreateCommand($"SELECT session_id FROM request_log WHERE key_id = '{tenant.KeyId}'"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                sessions.Add(reader.GetString(0));
            }
        }
        Assert.Equal(4, sessions.Count);
        Assert.All(sessions, s => Assert.StartsWith(SessionIds.DigestPrefix, s));
        Assert.Equal(4, sessions.Distinct().Count());
        await EventuallyAsync(async () => await host.ScalarAsync<long>(
            $"SELECT count(*) FROM session_usage WHERE key_id = '{tenant.KeyId}' AND session_id LIKE '{SessionIds.DigestPrefix}%'") == 4);
    }

    [Fact]
    public async Task Another_tenants_key_id_in_admin_paths_gets_401_and_changes_nothing()
    {
        var (victim, attacker) = await TenantsAsync();
        using var client = new HttpClient { BaseAddress = host.Front.BaseAddress };
        var attempts = new (HttpMethod Method, string Path, string? Body)[]
        {
            (HttpMethod.Get, $"admin/keys/{victim.KeyId}", null),
            (HttpMethod.Get, "admin/keys", null),
            (HttpMethod.Get, $"admin/teams/{victim.TeamId}", null),
            (HttpMethod.Patch, $"admin/keys/{victim.KeyId}", """{"limits":{"requests_per_minute":1}}"""),
            (HttpMethod.Post, $"admin/keys/{victim.KeyId}/revoke", null),
            (HttpMethod.Post, $"admin/keys/{victim.KeyId}/rotate", null),
            (HttpMethod.Delete, $"admin/keys/{victim.KeyId}", null),
        };
        foreach (var (method, path, body) in attempts)
        {
            foreach (var asBearer in new[] { true, false })
            {
                using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Json.Body(body) };
                if (asBearer)
                {
                    request.Headers.Authorization = new("Bearer", attacker.Secret);
                }
                else
                {
                    request.Headers.Add("x-admin-token", attacker.Secret);
                }
                using var response = await client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path}: {(int)response.StatusCode} {text}");
                Assert.Equal("authentication_error", Json.AssertAnthropicError(text));
                Assert.DoesNotContain(victim.TeamId, text);
            }
        }
        // The victim's key is untouched: it works, with no new limit.
        using var owner = host.Client(victim.Secret);
        for (var i = 0; i < 3; i++)
        {
            using var ok = await owner.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
    }

    private async Task<(GatewayKeys.CreatedKey Victim, GatewayKeys.CreatedKey Attacker)> TenantsAsync() =>
        (await GatewayKeys.CreateAsync(host.Admin), await GatewayKeys.CreateAsync(host.Admin));

    private static byte[] Nest(int depth) =>
        Encoding.UTF8.GetBytes("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"x\":" + new string('[', depth) + new string(']', depth) + ",\"messages\":[]}");

    private static byte[] Replace(string what, string with) => Encoding.UTF8.GetBytes(Json.SmallRequest.Replace(what, with));

    private static string Escape(string value) => string.Concat(value.Select(c => c < ' ' || c > '~' ? $"\\x{(int)c:x2}" : c.ToString()));

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "condition not met within 15 s");
            await Task.Delay(50);
        }
    }
}
