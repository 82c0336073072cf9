using System.Net;
using Gateway.Grains.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Security;

/// <summary>
/// Hostile strings never reach accounting, through a real front with Postgres: a model that
/// is not 1..256 printable characters, or a body with a second top-level model/stream/max_tokens, is a
/// 400 naming the rule that reaches neither the upstream nor the books; the same key's requests before
/// and after are all charged (spend in Postgres equals what the clients were told). Strings the gateway
/// only observes (headers, tool names a model echoes) are cleaned and capped on their way to Postgres.
/// </summary>
[Collection(HostileStringCollection.Name)]
public sealed class HostileStringTests(HostileStringHost host)
{
    public static TheoryData<string, string, string> HostileBodies => new()
    {
        // name, body, words the error must carry
        { "NUL in model", Model("claude-sonnet-4-5\\u0000x"), "printable" },
        { "100 KB model", Model(new string('m', 100 * 1024)), "256" },
        { "257-character model", Model(new string('m', 257)), "256" },
        { "control character in model", Model("claude\\u001b[31m"), "printable" },
        { "DEL-range control in model", Model("claude\\u0085"), "printable" },
        { "lone surrogate in model", Model("claude\\udc00"), "printable" },
        { "empty model", Model(""), "model" },
        { "two models", """{"model":"claude-haiku-4-5","max_tokens":64,"model":"claude-opus-4-1","messages":[{"role":"user","content":"hi"}]}""", "more than once" },
        { "two models, one escaped", """{"model":"claude-haiku-4-5","max_tokens":64,"mod\u0065l":"claude-opus-4-1","messages":[]}""", "more than once" },
        { "two streams", """{"model":"claude-sonnet-4-5","stream":false,"max_tokens":64,"stream":true,"messages":[]}""", "stream" },
        { "two max_tokens", """{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[],"max_tokens":64000}""", "max_tokens" },
    };

    [Theory]
    [MemberData(nameof(HostileBodies))]
    public async Task A_hostile_request_field_is_a_400_that_charges_nothing_and_the_keys_other_requests_are_all_charged(
        string name, string body, string words)
    {
        var key = await host.TenantAsync();
        using var client = host.Client(key.Secret);
        var expected = await host.ChargedRequestAsync(client);
        var upstreamBefore = host.Upstream.Received.Count;

        using (var response = await client.PostAsync("v1/messages", Json.Body(body)))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {text[..Math.Min(300, text.Length)]}");
            Assert.Equal("invalid_request_error", Json.AssertAnthropicError(text));
            Assert.Contains(words, Json.Parse(text).GetProperty("error").GetProperty("message").GetString());
            Assert.True(text.Length < 2_000, $"{name}: the error echoes the hostile value ({text.Length} chars)");
        }
        Assert.Equal(upstreamBefore, host.Upstream.Received.Count);

        // The key's next requests (the issue saw 5 of them go uncharged after one NUL model) all settle.
        for (var i = 0; i < 5; i++)
        {
            expected += await host.ChargedRequestAsync(client, i % 2 == 0 ? Json.SmallRequest : Json.SmallRequest.Replace("Say hello", "Say bye"));
        }
        await host.AssertChargedAsync(key, expected, rows: 6);
        Assert.Equal(0L, await host.ScalarAsync<long>(
            "SELECT count(*) FROM request_log WHERE key_id = @k AND (status <> 200 OR length(model_requested) > 256)", ("k", key.KeyId)));
    }

    [Fact]
    public async Task The_OpenAI_surface_holds_the_same_model_rule()
    {
        var key = await host.TenantAsync();
        using var client = host.Client(key.Secret);
        var upstreamBefore = host.Upstream.Received.Count;
        foreach (var model in new[] { "gpt\\u0000x", new string('m', 100 * 1024), "claude\\u0007" })
        {
            var body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            using var response = await client.PostAsync("v1/chat/completions", Json.Body(body));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {text[..Math.Min(300, text.Length)]}");
            Assert.Contains("printable", text);
        }
        Assert.Equal(upstreamBefore, host.Upstream.Received.Count);
        await host.AssertChargedAsync(key, 0m, rows: 0);
    }

    [Fact]
    public async Task Hostile_headers_are_cleaned_and_capped_in_the_audit_row_and_the_request_is_charged()
    {
        var key = await host.TenantAsync();
        using var client = host.Client(key.Secret);
        // Header values cannot carry NUL on the wire; control characters they can (HTAB, and obs-text bytes).
        client.DefaultRequestHeaders.TryAddWithoutValidation("x-claude-code-agent-id", "agent\t" + new string('a', 5_000));
        client.DefaultRequestHeaders.TryAddWithoutValidation("x-claude-code-parent-agent-id", new string('p', 5_000));
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", "ua\t" + new string('u', 5_000));
        var expected = await host.ChargedRequestAsync(client);
        await host.AssertChargedAsync(key, expected, rows: 1);

        Assert.Equal(BoundedText.MaxNameLength, await host.ScalarAsync<int>("SELECT length(agent_id) FROM request_log WHERE key_id = @k", ("k", key.KeyId)));
        Assert.Equal(BoundedText.MaxNameLength, await host.ScalarAsync<int>("SELECT length(parent_agent_id) FROM request_log WHERE key_id = @k", ("k", key.KeyId)));
        Assert.Equal(256, await host.ScalarAsync<int>("SELECT length(user_agent) FROM request_log WHERE key_id = @k", ("k", key.KeyId)));
        Assert.Equal(0L, await host.ScalarAsync<long>(
            "SELECT count(*) FROM request_log WHERE key_id = @k AND (agent_id ~ '[[:cntrl:]]' OR user_agent ~ '[[:cntrl:]]')", ("k", key.KeyId)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Tool_names_a_model_echoes_are_cleaned_and_capped_and_the_request_is_charged(bool stream)
    {
        var key = await host.TenantAsync();
        using var client = host.Client(key.Secret);
        // A tenant defines the tool; the (fake) model calls it by name: a NUL, an escape and 10 KB of it.
        var toolName = "evil\\u0000\\u001b" + new string('t', 10_000);
        var body = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64" + (stream ? ",\"stream\":true" : "") +
            ",\"tools\":[{\"name\":\"" + toolName + "\",\"input_schema\":{\"type\":\"object\"}}],\"tool_choice\":{\"type\":\"any\"}," +
            "\"messages\":[{\"role\":\"user\",\"content\":\"use the tool\"}]}";
        using var response = await client.PostAsync("v1/messages", Json.Body(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("tool_use", text);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (await host.RowsAsync(key) == 0 && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100);
        }
        Assert.Equal(1, await host.ScalarAsync<int>("SELECT tool_call_count FROM request_log WHERE key_id = @k", ("k", key.KeyId)));
        var stored = await host.ScalarAsync<string>("SELECT tool_names[1] FROM request_log WHERE key_id = @k", ("k", key.KeyId));
        Assert.Equal(BoundedText.MaxNameLength, stored.Length);
        Assert.StartsWith("evilttt", stored);
        Assert.True(await host.SpendAsync(key) > 0, "the tool call's usage was not charged");
    }

    [Theory]
    [InlineData("admin/teams", "name", "team\\u0000x")]
    [InlineData("admin/teams", "billing_tag", "tag\\u001b[2J")]
    [InlineData("admin/teams", "billing_tag", "tag\\ud800")]
    [InlineData("admin/teams", "name", "line\\nbreak")]
    public async Task The_admin_API_refuses_names_and_billing_tags_that_are_not_printable(string path, string field, string jsonValue)
    {
        var name = field == "name" ? jsonValue : "team-" + Guid.NewGuid().ToString("N")[..10];
        var tag = field == "billing_tag" ? jsonValue : "ok";
        using var response = await host.Admin.PostAsync(path, Json.Body("{\"name\":\"" + name + "\",\"billing_tag\":\"" + tag + "\"}"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {text}");
        Assert.Contains(field, text);
        Assert.Contains("printable", text);

        // Printable non-ASCII stays welcome.
        using var fine = await host.Admin.PostAsync(path, Json.Body("{\"name\":\"équipe-日本-" + Guid.NewGuid().ToString("N")[..6] + "\",\"billing_tag\":\"coût\"}"));
        Assert.True(fine.IsSuccessStatusCode, await fine.Content.ReadAsStringAsync());
    }

    private static string Model(string model) =>
        "{\"model\":\"" + model + "\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
}

[CollectionDefinition(Name)]
public sealed class HostileStringCollection : ICollectionFixture<HostileStringHost>
{
    public const string Name = "hostile strings";
}
