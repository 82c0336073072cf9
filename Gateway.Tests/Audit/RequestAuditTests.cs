using System.Net;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Audit;

/// <summary>
/// Requests through a real front (virtual keys, keys and audit in a real Postgres) leave one
/// request_log row each whose numbers are what the fake upstream reported, and no message text
/// anywhere in the database.
/// </summary>
public sealed class RequestAuditTests : IAsyncLifetime
{
    private const string Secret = "TOP-SECRET-PROMPT-TEXT-7f3a";
    private FakeUpstreamServer _upstream = null!;
    private TestPostgres _database = null!;
    private FrontHost _front = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ReplyText = "REPLY-TEXT-THAT-MUST-NOT-BE-STORED" });
        _database = await TestPostgres.CreateAsync();
        _front = await FrontHost.StartWithKeysAsync(_upstream.BaseAddress, new Dictionary<string, string?>
        {
            ["Postgres:ConnectionString"] = _database.ConnectionString,
            ["Audit:FlushInterval"] = "00:00:00.050",
        });
    }

    public async Task DisposeAsync()
    {
        await _front.DisposeAsync();
        await _database.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Each_request_leaves_one_row_with_the_upstreams_usage_and_no_text()
    {
        using var admin = _front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin, billingTag: "cc-audit");
        using var client = new HttpClient { BaseAddress = _front.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", key.Secret);
        client.DefaultRequestHeaders.Add("X-Claude-Code-Session-Id", "session-audit-1");
        client.DefaultRequestHeaders.Add("x-claude-code-agent-id", "agent-7");
        client.DefaultRequestHeaders.UserAgent.ParseAdd("claude-cli/2.1.332");
        var body = $$$"""
            {"model":"claude-sonnet-4-5","max_tokens":64,"system":[{"type":"text","text":"You are {{{Secret}}}","cache_control":{"type":"ephemeral"}}],
             "tools":[{"name":"get_weather","description":"{{{Secret}}}","input_schema":{"type":"object"}}],
             "messages":[{"role":"user","content":"Use the tool please: {{{Secret}}}"}]}
            """;

        using var plain = await client.PostAsync("v1/messages", Json.Body(body));
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        var plainUsage = Json.Parse(await plain.Content.ReadAsStringAsync()).GetProperty("usage");
        using var streamed = await client.PostAsync("v1/messages", Json.Body(body.Replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true")));
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        await streamed.Content.ReadAsStringAsync();

        var rows = await ReadRowsAsync(2);
        var first = rows.Single(r => !(bool)r["stream"]);
        Assert.Equal(key.KeyId, first["key_id"]);
        Assert.Equal(key.TeamId, first["team_id"]);
        Assert.Equal("cc-audit", first["billing_tag"]);
        Assert.Equal("session-audit-1", first["session_id"]);
        Assert.Equal("agent-7", first["agent_id"]);
        Assert.Equal("claude-sonnet-4-5", first["model_requested"]);
        Assert.Equal("messages", first["endpoint"]);
        Assert.Equal(200, first["status"]);
        Assert.Equal(plainUsage.GetProperty("input_tokens").GetInt64(), first["input_tokens"]);
        Assert.Equal(plainUsage.GetProperty("output_tokens").GetInt64(), first["output_tokens"]);
        Assert.Equal(plainUsage.GetProperty("cache_creation_input_tokens").GetInt64(), first["cache_creation_tokens"]);
        Assert.Equal(plainUsage.GetProperty("cache_read_input_tokens").GetInt64(), first["cache_read_tokens"]);
        Assert.Equal(new[] { "get_weather" }, (string[])first["tool_names"]);
        Assert.Equal(1, first["cache_breakpoints"]); // the prompt is below the minimum cacheable size: nothing injected
        Assert.Equal("claude-cli/2.1.332", first["user_agent"]);
        Assert.True((decimal)first["cost_usd"] > 0);
        Assert.True((double)first["latency_ms"] > 0);
        Assert.StartsWith("uk_", (string)first["upstream_key_id"]);

        var second = rows.Single(r => (bool)r["stream"]);
        Assert.True((double)second["ttfb_ms"] > 0);
        // The same tools and system: the same prefix hash, and the second one read the cache.
        Assert.Equal(first["prompt_prefix_hash"], second["prompt_prefix_hash"]);
        Assert.True((long)second["cache_read_tokens"] > 0);
        Assert.True((decimal)second["cache_savings_usd"] > 0);

        // The grains' rollups agree with the log: per key × model × minute, and per session.
        long loggedInput = rows.Sum(r => (long)r["input_tokens"]), loggedOutput = rows.Sum(r => (long)r["output_tokens"]);
        decimal loggedCost = rows.Sum(r => (decimal)r["cost_usd"]);
        await EventuallyEqualAsync($"SELECT sum(requests)::bigint, sum(input_tokens)::bigint, sum(output_tokens)::bigint, sum(cost_usd) FROM usage_minute WHERE key_id = '{key.KeyId}'",
            [2L, loggedInput, loggedOutput, loggedCost]);
        await EventuallyEqualAsync("SELECT requests, input_tokens, output_tokens, cost_usd FROM session_usage WHERE session_id = 'session-audit-1'",
            [2L, loggedInput, loggedOutput, loggedCost]);

        // Not a word of the prompt or the reply, nor the key's secret, in any column of any table.
        await using var dump = _database.DataSource.CreateCommand("""
            SELECT string_agg(t::text, ' ') FROM (
              SELECT row_to_json(r)::text AS t FROM request_log r
              UNION ALL SELECT row_to_json(k)::text FROM api_keys k
              UNION ALL SELECT row_to_json(u)::text FROM usage_minute u
              UNION ALL SELECT row_to_json(q)::text FROM session_usage q
              UNION ALL SELECT row_to_json(s)::text FROM teams s) x
            """);
        var everything = (string)(await dump.ExecuteScalarAsync())!;
        Assert.DoesNotContain(Secret, everything);
        Assert.DoesNotContain("REPLY-TEXT", everything);
        Assert.DoesNotContain(key.Secret, everything);
    }

    [Fact]
    public async Task Rejected_requests_leave_no_row()
    {
        using var client = new HttpClient { BaseAddress = _front.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", "sk-gw-unknown");
        using var unknown = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        using var admin = _front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        client.DefaultRequestHeaders.Remove("x-api-key");
        client.DefaultRequestHeaders.Add("x-api-key", key.Secret);
        using var bad = await client.PostAsync("v1/messages", Json.Body("{not json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var good = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        var rows = await ReadRowsAsync(1);
        Assert.Equal(200, Assert.Single(rows)["status"]);
    }

    private async Task EventuallyEqualAsync(string sql, object[] expected)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        object[] actual = [];
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await using var command = _database.DataSource.CreateCommand(sql);
            await using var reader = await command.ExecuteReaderAsync();
            if (await reader.ReadAsync())
            {
                actual = Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null! : reader.GetValue(i)).ToArray();
                if (actual.SequenceEqual(expected))
                {
                    return;
                }
            }
            await Task.Delay(100);
        }
        Assert.Equal(expected, actual);
    }

    private async Task<List<Dictionary<string, object>>> ReadRowsAsync(int expected)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var rows = new List<Dictionary<string, object>>();
            await using (var command = _database.DataSource.CreateCommand("SELECT * FROM request_log ORDER BY at"))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    var row = new Dictionary<string, object>();
                    for (var i = 0; i < reader.FieldCount; i++)
                    {
                        row[reader.GetName(i)] = reader.GetValue(i);
                    }
                    rows.Add(row);
                }
            }
            if (rows.Count >= expected || clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.Equal(expected, rows.Count);
                return rows;
            }
            await Task.Delay(100);
        }
    }
}
