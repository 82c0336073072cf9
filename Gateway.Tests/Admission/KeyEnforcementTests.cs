using System.Diagnostics;
using System.Net;
using Gateway.FakeUpstream;
using Gateway.Grains.Abstractions;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Admission;

/// <summary>
/// Virtual keys end to end over real sockets: a front with its embedded silo, keys made through the
/// admin API, requests through the gateway to the fake upstream.
/// </summary>
public sealed class KeyEnforcementTests : IAsyncLifetime
{
    private FakeUpstreamServer _upstream = null!;
    private FrontHost _front = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync();
        _front = await FrontHost.StartWithKeysAsync(_upstream.BaseAddress);
        _admin = _front.CreateAdminClient();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _front.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private IGrainFactory Grains => _front.Services.GetRequiredService<IGrainFactory>();

    private async Task<HttpResponseMessage> SendAsync(string secret, string body = Json.SmallRequest, string? session = null, bool bearer = false)
    {
        using var client = new HttpClient { BaseAddress = _front.BaseAddress };
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(body) };
        if (bearer)
        {
            request.Headers.Authorization = new("Bearer", secret);
        }
        else
        {
            request.Headers.Add("x-api-key", secret);
        }
        if (session is not null)
        {
            request.Headers.Add("X-Claude-Code-Session-Id", session);
        }
        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    [Fact]
    public async Task Unknown_missing_and_revoked_keys_get_401_and_never_reach_the_upstream()
    {
        using (var unknown = await SendAsync("sk-gw-not-a-key"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
            Assert.Equal("authentication_error", Json.AssertAnthropicError(await unknown.Content.ReadAsStringAsync()));
        }
        using (var client = new HttpClient { BaseAddress = _front.BaseAddress })
        using (var missing = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        }
        Assert.Empty(_upstream.Received);

        var key = await GatewayKeys.CreateAsync(_admin);
        using (var ok = await SendAsync(key.Secret, bearer: true))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        Assert.Equal("sk-upstream-test", _upstream.Received.Single().Headers["x-api-key"]);

        using (var revoke = await _admin.PostAsync($"admin/keys/{key.KeyId}/revoke", null))
        {
            Assert.True(revoke.IsSuccessStatusCode);
        }
        // Revocation holds cluster-wide within a second: the front's caches and leases last at most that.
        var clock = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            using var response = await SendAsync(key.Secret);
            status = response.StatusCode;
        }
        while (status == HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(3));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.True(clock.Elapsed <= TimeSpan.FromSeconds(1.2), $"revoked key still admitted after {clock.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_model_the_key_may_not_use_gets_403()
    {
        var key = await GatewayKeys.CreateAsync(_admin, allowedModels: ["claude-haiku-*"]);
        using var response = await SendAsync(key.Secret);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var type = Json.AssertAnthropicError(await response.Content.ReadAsStringAsync());
        Assert.Equal("permission_error", type);
        using var allowed = await SendAsync(key.Secret, Json.SmallRequest.Replace("claude-sonnet-4-5", "claude-haiku-4-5"));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task Over_the_request_limit_the_client_gets_429_with_the_keys_own_rate_limit_headers()
    {
        var key = await GatewayKeys.CreateAsync(_admin, limits: new { requests_per_minute = 3 });
        for (var i = 0; i < 3; i++)
        {
            using var ok = await SendAsync(key.Secret);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using var limited = await SendAsync(key.Secret);
        Assert.Equal((HttpStatusCode)429, limited.StatusCode);
        Assert.Equal("rate_limit_error", Json.AssertAnthropicError(await limited.Content.ReadAsStringAsync()));
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
        Assert.Equal("true", limited.Headers.GetValues("x-should-retry").Single());
        Assert.Equal("3", limited.Headers.GetValues("anthropic-ratelimit-requests-limit").Single());
        Assert.Equal("0", limited.Headers.GetValues("anthropic-ratelimit-requests-remaining").Single());
        Assert.True(DateTimeOffset.TryParse(limited.Headers.GetValues("anthropic-ratelimit-requests-reset").Single(), out _));
        Assert.Equal(3, _upstream.Received.Count);
    }

    [Fact]
    public async Task A_spent_budget_gets_a_429_naming_the_budget_that_tells_clients_not_to_retry()
    {
        // Opus 4.1 output is $75 per million: 6 600 output tokens cost $0.495 of a $0.50 budget. A request's
        // worst case (its max_tokens priced) is held against the budget while it runs, so the small requests
        // after it are refused before the budget is crossed, not after.
        _upstream.Options.OutputTokens = 6600;
        var key = await GatewayKeys.CreateAsync(_admin, limits: new { daily_budget_usd = 0.5 });
        using (var first = await SendAsync(key.Secret, Json.SmallRequest.Replace("claude-sonnet-4-5", "claude-opus-4-1").Replace("\"max_tokens\":64", "\"max_tokens\":6600")))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        var clock = Stopwatch.StartNew();
        HttpResponseMessage response;
        do
        {
            await Task.Delay(100);
            response = await SendAsync(key.Secret);
        }
        while (response.StatusCode == HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(3));
        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("rate_limit_error", Json.AssertAnthropicError(body));
        Assert.Contains("daily budget of $0.5", body);
        Assert.Equal("false", response.Headers.GetValues("x-should-retry").Single());
        var usage = await Grains.GetGrain<IApiKeyGrain>(key.KeyId).GetUsageAsync();
        Assert.InRange(usage.SpentTodayUsd, 0.495m, 0.5m);
    }

    [Fact]
    public async Task Usage_the_upstream_reported_is_settled_on_the_key_and_the_session()
    {
        var key = await GatewayKeys.CreateAsync(_admin);
        var session = "session-" + Guid.NewGuid();
        long input = 0, output = 0;
        using (var plain = await SendAsync(key.Secret, session: session))
        {
            var usage = Json.Parse(await plain.Content.ReadAsStringAsync()).GetProperty("usage");
            input += usage.GetProperty("input_tokens").GetInt64();
            output += usage.GetProperty("output_tokens").GetInt64();
        }
        using (var streamed = await SendAsync(key.Secret, Json.SmallStreamingRequest, session))
        {
            var text = await streamed.Content.ReadAsStringAsync();
            Assert.Contains("message_stop", text);
            input += Json.Parse(text.Split('\n').First(l => l.StartsWith("data:") && l.Contains("message_start"))["data: ".Length..]).GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt64();
            output += Json.Parse(text.Split('\n').Last(l => l.StartsWith("data:") && l.Contains("message_delta"))["data: ".Length..]).GetProperty("usage").GetProperty("output_tokens").GetInt64();
        }

        var grain = Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        KeyUsageView view = null!;
        await Eventually(async () => (view = await grain.GetUsageAsync()).Requests == 2);
        Assert.Equal(input, view.InputTokens);
        Assert.Equal(output, view.OutputTokens);
        Assert.True(view.SpentTodayUsd > 0);

        SessionUsageView sessionView = null!;
        await Eventually(async () => (sessionView = await Grains.GetGrain<ISessionGrain>(session).GetUsageAsync()).Requests == 2);
        Assert.Equal(key.KeyId, sessionView.KeyId);
        Assert.Equal(output, sessionView.OutputTokens);
        Assert.Equal(view.SpentTodayUsd, sessionView.CostUsd);
    }

    [Fact]
    public async Task Session_limits_stop_a_runaway_session_but_not_the_key()
    {
        var key = await GatewayKeys.CreateAsync(_admin, sessionLimits: new { max_requests = 2 });
        var session = "runaway-" + Guid.NewGuid();
        for (var i = 0; i < 2; i++)
        {
            using var ok = await SendAsync(key.Secret, session: session);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        HttpResponseMessage limited;
        var clock = Stopwatch.StartNew();
        do
        {
            limited = await SendAsync(key.Secret, session: session);
        }
        while (limited.StatusCode == HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(3));
        Assert.Equal((HttpStatusCode)429, limited.StatusCode);
        Assert.Contains("session", await limited.Content.ReadAsStringAsync());
        using var other = await SendAsync(key.Secret, session: "fresh-" + Guid.NewGuid());
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task A_session_limit_holds_at_the_fronts_own_count_without_a_grain_call_per_request()
    {
        var key = await GatewayKeys.CreateAsync(_admin, sessionLimits: new { max_requests = 3 });
        var session = "counted-" + Guid.NewGuid();
        var grain = Grains.GetGrain<ISessionGrain>(session);

        // Back to back, faster than settlement reaches the grain (100 ms batches): the front counts its own.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await SendAsync(key.Secret, session: session);
            statuses.Add(response.StatusCode);
        }
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, (HttpStatusCode)429, (HttpStatusCode)429], statuses);

        // The grain, which has the last word, agrees once the settlements land.
        await Eventually(async () => (await grain.GetUsageAsync()).Requests == 3);
        Assert.NotNull(await grain.AdmitAsync(key.KeyId, new SessionLimits { MaxRequests = 3 }));
    }

    [Fact]
    [Trait(TestSuites.Category, TestSuites.Slow)]
    public async Task The_concurrent_streams_limit_holds_and_frees_a_slot_when_a_stream_ends()
    {
        _upstream.Options.EventDelayMs = 150;
        _upstream.Options.OutputTokens = 12;
        var key = await GatewayKeys.CreateAsync(_admin, limits: new { concurrent_streams = 2 });
        using var client = new HttpClient { BaseAddress = _front.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", key.Secret);

        async Task<HttpResponseMessage> OpenStreamAsync()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(Json.SmallStreamingRequest) };
            return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        }

        using var first = await OpenStreamAsync();
        using var second = await OpenStreamAsync();
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        using (var third = await OpenStreamAsync())
        {
            Assert.Equal((HttpStatusCode)429, third.StatusCode);
            Assert.Contains("2 concurrent streams", await third.Content.ReadAsStringAsync());
        }
        // A non-streaming request is not a stream.
        using (var plain = await SendAsync(key.Secret))
        {
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        }

        Assert.Contains("message_stop", await first.Content.ReadAsStringAsync());
        HttpResponseMessage next;
        var clock = Stopwatch.StartNew();
        do
        {
            next = await OpenStreamAsync();
        }
        while (next.StatusCode != HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(3) && await Task.Delay(50).ContinueWith(_ => true));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        next.Dispose();
        await second.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Bad_input_is_not_charged_to_anyone()
    {
        var key = await GatewayKeys.CreateAsync(_admin, limits: new { requests_per_minute = 5 });
        for (var i = 0; i < 10; i++)
        {
            using var bad = await SendAsync(key.Secret, """{"model":"m","messages":[""");
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
        var usage = await Grains.GetGrain<IApiKeyGrain>(key.KeyId).GetUsageAsync();
        Assert.Equal(0, usage.Requests);
        Assert.Equal(5, usage.Snapshot!.Requests!.Value.Remaining);
        Assert.Empty(_upstream.Received);
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "condition not met within 5 s");
            await Task.Delay(25);
        }
    }
}
