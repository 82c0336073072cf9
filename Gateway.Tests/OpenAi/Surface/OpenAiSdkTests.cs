using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.FakeUpstream;
using Gateway.Grains.Abstractions;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;

namespace Gateway.Tests.OpenAi.Surface;

/// <summary>
/// The official OpenAI .NET SDK pointed at the gateway's <c>/v1</c> with a virtual key: the same keys,
/// limits, budgets and audit rows as <c>/v1/messages</c>, answers in OpenAI's shapes, the fake Anthropic
/// upstream behind.
/// </summary>
public sealed class OpenAiSdkTests : IAsyncLifetime
{
    private const string Model = "claude-sonnet-4-5";
    private FakeUpstreamServer _upstream = null!;
    private TestPostgres _database = null!;
    private FrontHost _front = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync();
        _database = await TestPostgres.CreateAsync();
        _front = await FrontHost.StartWithKeysAsync(_upstream.BaseAddress, new Dictionary<string, string?>
        {
            ["Postgres:ConnectionString"] = _database.ConnectionString,
            ["Audit:FlushInterval"] = "00:00:00.050",
        });
        _admin = _front.CreateAdminClient();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _front.DisposeAsync();
        await _database.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private ChatClient Client(string secret) => new(Model, new ApiKeyCredential(secret), new OpenAIClientOptions
    {
        Endpoint = new Uri(_front.BaseAddress, "v1"),
        RetryPolicy = new ClientRetryPolicy(0),
        NetworkTimeout = TimeSpan.FromSeconds(30),
    });

    private static ChatTool WeatherTool => ChatTool.CreateFunctionTool("get_weather", "Get the weather for a city",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));

    private JsonElement LastUpstreamBody()
    {
        var last = _upstream.Received.Last();
        Assert.Equal("/v1/messages", last.PathAndQuery);
        return JsonDocument.Parse(last.Body).RootElement;
    }

    [Fact]
    public async Task Non_streaming_chat_returns_the_upstream_text_and_usage()
    {
        var key = await GatewayKeys.CreateAsync(_admin);
        ChatCompletion completion = await Client(key.Secret).CompleteChatAsync(
            [new SystemChatMessage("You are terse."), new UserChatMessage("Say hello")],
            new ChatCompletionOptions { MaxOutputTokenCount = 256, Temperature = 0.2f, EndUserId = "alice" });

        Assert.Equal(_upstream.Options.ReplyText, completion.Content.Single().Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.StartsWith("chatcmpl-", completion.Id);
        Assert.StartsWith("claude-sonnet-4-5", completion.Model);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.Equal(_upstream.Options.OutputTokens, completion.Usage.OutputTokenCount);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);

        var sent = LastUpstreamBody();
        Assert.Equal(256, sent.GetProperty("max_tokens").GetInt32());
        Assert.Equal("You are terse.", sent.GetProperty("system")[0].GetProperty("text").GetString());
        Assert.Equal("alice", sent.GetProperty("metadata").GetProperty("user_id").GetString());
        var headers = _upstream.Received.Last().Headers;
        Assert.Equal("sk-upstream-test", headers["x-api-key"]);
        Assert.Equal("2023-06-01", headers["anthropic-version"]);
        Assert.False(headers.ContainsKey("Authorization")); // the virtual key never reaches the upstream
    }

    [Fact]
    public async Task Streaming_chat_yields_content_updates_a_finish_reason_and_usage()
    {
        var key = await GatewayKeys.CreateAsync(_admin);
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        var updates = 0;
        await foreach (var update in Client(key.Secret).CompleteChatStreamingAsync([new UserChatMessage("Say hello")],
            new ChatCompletionOptions { MaxOutputTokenCount = 256 }))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            finish = update.FinishReason ?? finish;
            usage = update.Usage ?? usage;
        }

        Assert.Equal(_upstream.Options.ReplyText, text.ToString());
        Assert.True(updates > _upstream.Options.OutputTokens, $"{updates} updates: one per upstream text delta expected");
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.True(usage.InputTokenCount > 0);
        Assert.Equal(_upstream.Options.OutputTokens, usage.OutputTokenCount);
        Assert.True(LastUpstreamBody().GetProperty("stream").GetBoolean());
    }

    [Fact]
    public async Task Streamed_chunks_reach_the_sdk_as_the_upstream_sends_them()
    {
        const int delayMs = 50;
        _upstream.Options.EventDelayMs = delayMs;
        _upstream.Options.OutputTokens = 6;
        var key = await GatewayKeys.CreateAsync(_admin);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var arrivals = new List<TimeSpan>();
        await foreach (var update in Client(key.Secret).CompleteChatStreamingAsync([new UserChatMessage("Say hello")]))
        {
            if (update.ContentUpdate.Count > 0 && update.ContentUpdate[0].Text.Length > 0)
            {
                arrivals.Add(clock.Elapsed);
            }
        }
        Assert.Equal(6, arrivals.Count);
        // Buffering anywhere (a held body, an unflushed translation) would bunch the deltas together.
        Assert.True(arrivals[^1] - arrivals[0] >= TimeSpan.FromMilliseconds(delayMs * (arrivals.Count - 1) * 0.8),
            "arrivals (ms): " + string.Join(", ", arrivals.Select(a => a.TotalMilliseconds.ToString("F0"))));
    }

    [Fact]
    public async Task A_tool_call_round_trip_works_streaming_and_not()
    {
        var key = await GatewayKeys.CreateAsync(_admin);
        var client = Client(key.Secret);
        var options = new ChatCompletionOptions { Tools = { WeatherTool }, MaxOutputTokenCount = 256 };
        List<ChatMessage> history = [new UserChatMessage("Use the tool to get the weather in Paris")];

        ChatCompletion first = await client.CompleteChatAsync(history, options);
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.StartsWith("toolu_", call.Id);
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(call.FunctionArguments).RootElement.ValueKind);

        // The same call, streamed: the id, name and arguments arrive as tool call updates.
        string? streamedId = null, streamedName = null;
        var arguments = new StringBuilder();
        ChatFinishReason? streamedFinish = null;
        await foreach (var update in client.CompleteChatStreamingAsync(history, options))
        {
            foreach (var tool in update.ToolCallUpdates)
            {
                Assert.Equal(0, tool.Index);
                streamedId ??= tool.ToolCallId;
                streamedName ??= tool.FunctionName;
                arguments.Append(tool.FunctionArgumentsUpdate?.ToString());
            }
            streamedFinish = update.FinishReason ?? streamedFinish;
        }
        Assert.StartsWith("toolu_", streamedId);
        Assert.Equal("get_weather", streamedName);
        Assert.Equal("{}", arguments.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, streamedFinish);

        history.Add(new AssistantChatMessage(first));
        history.Add(new ToolChatMessage(call.Id, "18C and sunny"));
        ChatCompletion final = await client.CompleteChatAsync(history, options);
        Assert.Equal(ChatFinishReason.Stop, final.FinishReason);
        Assert.Equal(_upstream.Options.ReplyText, final.Content.Single().Text);

        var messages = LastUpstreamBody().GetProperty("messages");
        Assert.Equal("tool_use", messages[1].GetProperty("content")[0].GetProperty("type").GetString());
        Assert.Equal(call.Id, messages[1].GetProperty("content")[0].GetProperty("id").GetString());
        var result = messages[2].GetProperty("content")[0];
        Assert.Equal("tool_result", result.GetProperty("type").GetString());
        Assert.Equal(call.Id, result.GetProperty("tool_use_id").GetString());
        Assert.Equal("18C and sunny", result.GetProperty("content").GetString());
    }

    [Fact]
    public async Task An_unknown_key_gets_401_in_openai_shape_and_never_reaches_the_upstream()
    {
        var before = _upstream.Received.Count;
        var error = await Assert.ThrowsAsync<ClientResultException>(() => Client("sk-gw-not-a-key").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, error.Status);
        var body = JsonDocument.Parse(error.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error");
        Assert.Equal("authentication_error", body.GetProperty("type").GetString());
        Assert.Equal("invalid x-api-key", body.GetProperty("message").GetString());
        Assert.StartsWith("req_gw_", error.GetRawResponse()!.Headers.TryGetValue("x-request-id", out var id) ? id : "");
        Assert.Equal(before, _upstream.Received.Count);
    }

    [Fact]
    public async Task Over_its_request_limit_a_key_gets_429_with_retry_after_streaming_or_not()
    {
        var key = await GatewayKeys.CreateAsync(_admin, limits: new { requests_per_minute = 1 });
        var client = Client(key.Secret);
        await client.CompleteChatAsync([new UserChatMessage("hi")]);

        var limited = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(429, limited.Status);
        var response = limited.GetRawResponse()!;
        Assert.True(response.Headers.TryGetValue("retry-after", out var retryAfter));
        Assert.InRange(int.Parse(retryAfter!), 1, 60);
        Assert.True(response.Headers.TryGetValue("x-should-retry", out var shouldRetry));
        Assert.Equal("true", shouldRetry);
        Assert.True(response.Headers.TryGetValue("anthropic-ratelimit-requests-limit", out var limit));
        Assert.Equal("1", limit);
        Assert.Equal("rate_limit_exceeded", JsonDocument.Parse(response.Content.ToString()).RootElement.GetProperty("error").GetProperty("type").GetString());

        var streamed = await Assert.ThrowsAsync<ClientResultException>(async () =>
        {
            await foreach (var _ in client.CompleteChatStreamingAsync([new UserChatMessage("hi")]))
            {
            }
        });
        Assert.Equal(429, streamed.Status);
    }

    [Fact]
    public async Task An_upstream_failure_reaches_the_sdk_with_its_status_in_openai_shape()
    {
        var key = await GatewayKeys.CreateAsync(_admin);
        _upstream.Faults.Enqueue("429", 1);
        var error = await Assert.ThrowsAsync<ClientResultException>(() => Client(key.Secret).CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(429, error.Status);
        var body = JsonDocument.Parse(error.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error");
        Assert.Equal("rate_limit_exceeded", body.GetProperty("type").GetString());
        Assert.Equal("rate_limit_error", body.GetProperty("code").GetString());
        Assert.True(error.GetRawResponse()!.Headers.TryGetValue("retry-after", out _));
    }

    [Fact]
    public async Task The_gateways_own_413_reaches_the_sdk_in_openai_shape()
    {
        await using var small = await FrontHost.StartAsync(_upstream.BaseAddress, new Dictionary<string, string?> { ["Gateway:MaxRequestBodyBytes"] = "2048" });
        var client = new ChatClient(Model, new ApiKeyCredential("sk-any"), new OpenAIClientOptions
        {
            Endpoint = new Uri(small.BaseAddress, "v1"),
            RetryPolicy = new ClientRetryPolicy(0),
        });
        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage(new string('x', 4096))]));
        Assert.Equal(413, error.Status);
        var body = JsonDocument.Parse(error.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", body.GetProperty("type").GetString());
        Assert.Equal("request_too_large", body.GetProperty("code").GetString());
        Assert.Contains("2048", body.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_held_and_replayed_upstream_failure_keeps_its_status_in_openai_shape()
    {
        var key = await GatewayKeys.CreateAsync(_admin);
        _upstream.Faults.Enqueue("529", 4); // the first attempt and every retry: the last one is replayed
        var error = await Assert.ThrowsAsync<ClientResultException>(() => Client(key.Secret).CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(529, error.Status);
        var body = JsonDocument.Parse(error.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error");
        Assert.Equal("server_error", body.GetProperty("type").GetString());
        Assert.Equal("overloaded_error", body.GetProperty("code").GetString());
        Assert.Equal(4, _upstream.Received.Count);
    }

    [Fact]
    public async Task A_mid_stream_upstream_error_ends_the_sdk_stream_with_the_error()
    {
        var key = await GatewayKeys.CreateAsync(_admin);
        _upstream.Faults.Enqueue("error-mid-stream", 1);
        using var http = new HttpClient { BaseAddress = _front.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key.Secret);
        using var response = await http.PostAsync("v1/chat/completions", Json.Body("""{"model":"claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.StartsWith("data: ", l));
        Assert.Contains(lines, l => l.Contains("\"content\""));
        var error = Json.Parse(lines[^1]["data: ".Length..]).GetProperty("error");
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Equal("overloaded_error", error.GetProperty("code").GetString());
        Assert.DoesNotContain("data: [DONE]", lines);

        // The .NET SDK skips an error line (the Python and Node SDKs raise on it): what it sees is a
        // stream that ends without a finish_reason, the mark of an incomplete answer.
        _upstream.Faults.Enqueue("error-mid-stream", 1);
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in Client(key.Secret).CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            finish = update.FinishReason ?? finish;
        }
        Assert.Null(finish);
        Assert.NotEqual(_upstream.Options.ReplyText, text.ToString());
        Assert.StartsWith(text.ToString(), _upstream.Options.ReplyText);
    }

    [Fact]
    public async Task Bad_requests_get_400_in_openai_shape_with_no_charge_and_no_row()
    {
        var key = await GatewayKeys.CreateAsync(_admin);
        using var http = new HttpClient { BaseAddress = _front.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key.Secret);
        var before = _upstream.Received.Count;

        using var manyChoices = await http.PostAsync("v1/chat/completions", Json.Body("""{"model":"claude-sonnet-4-5","n":3,"messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, manyChoices.StatusCode);
        var error = Json.Parse(await manyChoices.Content.ReadAsStringAsync()).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("n", error.GetProperty("param").GetString());
        Assert.Contains("n must be 1", error.GetProperty("message").GetString());

        using var badArguments = await http.PostAsync("v1/chat/completions", Json.Body("""
            {"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"},
             {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{oops"}}]}]}
            """));
        Assert.Equal(HttpStatusCode.BadRequest, badArguments.StatusCode);
        Assert.Equal("messages[1].tool_calls[0].function.arguments",
            Json.Parse(await badArguments.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("param").GetString());

        using var notJson = await http.PostAsync("v1/chat/completions", Json.Body("{nope"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Equal("invalid_request_error", Json.Parse(await notJson.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("type").GetString());

        using var get = await http.GetAsync("v1/chat/completions");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal("invalid_request_error", Json.Parse(await get.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("type").GetString());

        Assert.Equal(before, _upstream.Received.Count);
        // A good request afterwards is the only row, and the only spend.
        await Client(key.Secret).CompleteChatAsync([new UserChatMessage("hi")]);
        var row = Assert.Single(await ReadRowsAsync(key.KeyId, 1));
        Assert.Equal(200, row["status"]);
        var usage = await Eventually(key.KeyId, 1);
        Assert.Equal((decimal)row["cost_usd"], usage.SpentTodayUsd);
    }

    [Fact]
    public async Task Usage_rows_and_key_spend_equal_what_the_sdk_saw()
    {
        var key = await GatewayKeys.CreateAsync(_admin, billingTag: "openai-sdk");
        var client = Client(key.Secret);
        ChatCompletion plain = await client.CompleteChatAsync([new UserChatMessage("Say hello")]);
        ChatTokenUsage? streamedUsage = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Say hello again")]))
        {
            streamedUsage = update.Usage ?? streamedUsage;
        }
        Assert.NotNull(streamedUsage);

        var rows = await ReadRowsAsync(key.KeyId, 2);
        Assert.All(rows, r =>
        {
            Assert.Equal("chat_completions", r["endpoint"]);
            Assert.Equal(200, r["status"]);
            Assert.Equal(key.TeamId, r["team_id"]);
            Assert.Equal("openai-sdk", r["billing_tag"]);
            Assert.Equal(Model, r["model_requested"]);
            Assert.StartsWith("OpenAI/", (string)r["user_agent"]);
        });
        var plainRow = rows.Single(r => !(bool)r["stream"]);
        var streamedRow = rows.Single(r => (bool)r["stream"]);
        foreach (var (row, usage) in new[] { (plainRow, plain.Usage), (streamedRow, streamedUsage) })
        {
            Assert.Equal(usage.InputTokenCount, (long)row["input_tokens"] + (long)row["cache_creation_tokens"] + (long)row["cache_read_tokens"]);
            Assert.Equal(usage.OutputTokenCount, (long)row["output_tokens"]);
            Assert.Equal(usage.InputTokenDetails?.CachedTokenCount ?? 0, (long)row["cache_read_tokens"]);
        }

        var view = await Eventually(key.KeyId, 2);
        Assert.Equal(rows.Sum(r => (long)r["input_tokens"]), view.InputTokens);
        Assert.Equal(plain.Usage.OutputTokenCount + streamedUsage.OutputTokenCount, view.OutputTokens);
        Assert.Equal(rows.Sum(r => (decimal)r["cost_usd"]), view.SpentTodayUsd);
        Assert.True(view.SpentTodayUsd > 0);
    }

    [Fact]
    public async Task The_sdks_models_list_reads_the_passed_through_model_list()
    {
        // GET /v1/models is not translated: the OpenAI SDK reads its ids (owned_by and created stay empty).
        var key = await GatewayKeys.CreateAsync(_admin);
        var models = new OpenAI.Models.OpenAIModelClient(new ApiKeyCredential(key.Secret),
            new OpenAIClientOptions { Endpoint = new Uri(_front.BaseAddress, "v1"), RetryPolicy = new ClientRetryPolicy(0) });
        var list = (await models.GetModelsAsync()).Value;
        Assert.Contains(list, m => m.Id == "claude-sonnet-4-5-20250929");
        Assert.Equal("/v1/models", _upstream.Received.Last().PathAndQuery);
    }

    private async Task<KeyUsageView> Eventually(string keyId, long requests)
    {
        var grain = _front.Services.GetRequiredService<IGrainFactory>().GetGrain<IApiKeyGrain>(keyId);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        KeyUsageView view;
        while ((view = await grain.GetUsageAsync()).Requests < requests && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }
        Assert.Equal(requests, view.Requests);
        return view;
    }

    private async Task<List<Dictionary<string, object>>> ReadRowsAsync(string keyId, int expected)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var rows = new List<Dictionary<string, object>>();
            await using (var command = _database.DataSource.CreateCommand("SELECT * FROM request_log WHERE key_id = $1 ORDER BY at"))
            {
                command.Parameters.AddWithValue(keyId);
                await using var reader = await command.ExecuteReaderAsync();
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
