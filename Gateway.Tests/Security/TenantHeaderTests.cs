using System.Net;
using Gateway.Front.Admission;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Security;

/// <summary>
/// What tenants see of the upstream organisation: with virtual keys, none of its rate-limit figures and
/// not its id; the virtual key's own <c>anthropic-ratelimit-*</c> instead (none for a key without
/// limits). Error bodies pass unchanged. In pass-through mode the upstream's headers pass as they are.
/// </summary>
public sealed class TenantHeaderTests
{
    private const string OrganisationId = "0a1b2c3d-upstream-org";
    private const string UpstreamError = """{"type":"error","error":{"type":"invalid_request_error","message":"messages: at least one message is required (upstream wording)"},"request_id":"req_upstream_400"}""";

    [Fact]
    public async Task A_key_with_limits_sees_its_own_figures_and_no_organisation()
    {
        await using var upstream = await OrganisationUpstream.StartAsync();
        await using var front = await AuthSecurityHost.StartAsync(upstream.BaseAddress, postgres: null);
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin, limits: new { requests_per_minute = 50, output_tokens_per_minute = 20_000 });
        using var client = front.CreateClient(key.Secret);

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        AssertNoOrganisation(response);
        Assert.Equal("50", Header(response, "anthropic-ratelimit-requests-limit"));
        Assert.InRange(int.Parse(Header(response, "anthropic-ratelimit-requests-remaining")!), 0, 50);
        Assert.True(DateTimeOffset.TryParse(Header(response, "anthropic-ratelimit-requests-reset"), out _));
        Assert.Equal("20000", Header(response, "anthropic-ratelimit-output-tokens-limit"));
        // Unlimited buckets and the organisation's combined token figures are not shown at all.
        Assert.Null(Header(response, "anthropic-ratelimit-input-tokens-limit"));
        Assert.Null(Header(response, "anthropic-ratelimit-tokens-limit"));
        Assert.Equal("req_upstream_ok", Header(response, "request-id"));
    }

    [Fact]
    public async Task A_key_without_limits_gets_no_rate_limit_headers_and_error_bodies_pass_unchanged()
    {
        await using var upstream = await OrganisationUpstream.StartAsync();
        await using var front = await AuthSecurityHost.StartAsync(upstream.BaseAddress, postgres: null);
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        using var client = front.CreateClient(key.Secret);

        using (var ok = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
        {
            Assert.True(ok.StatusCode == HttpStatusCode.OK, await ok.Content.ReadAsStringAsync());
            AssertNoOrganisation(ok);
            Assert.Empty(RateLimitHeaders(ok));
        }

        // Other paths (model listing) lose the organisation's headers too.
        using (var models = await client.GetAsync("v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, models.StatusCode);
            AssertNoOrganisation(models);
        }

        // An upstream 400 goes straight through; a 500 is retried, held, and replayed when retries run out.
        foreach (var (reply, status) in new[] { ("400", HttpStatusCode.BadRequest), ("500", HttpStatusCode.InternalServerError) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(Json.SmallRequest) };
            request.Headers.Add(OrganisationUpstream.ReplyHeader, reply);
            using var response = await client.SendAsync(request);
            Assert.Equal(status, response.StatusCode);
            Assert.Equal(UpstreamError, await response.Content.ReadAsStringAsync());
            AssertNoOrganisation(response);
            Assert.Empty(RateLimitHeaders(response));
            Assert.Equal("req_upstream_400", Header(response, "request-id"));
        }
    }

    [Fact]
    public async Task Pass_through_mode_keeps_the_upstream_headers()
    {
        await using var upstream = await OrganisationUpstream.StartAsync();
        await using var front = await FrontHost.StartAsync(upstream.BaseAddress);
        using var client = front.CreateClient();

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OrganisationId, Header(response, "anthropic-organization-id"));
        Assert.Equal("4000", Header(response, "anthropic-ratelimit-requests-limit"));
        Assert.Equal("400000", Header(response, "anthropic-ratelimit-tokens-limit"));
    }

    [Fact]
    public void An_OpenAI_compatible_providers_organisation_and_figures_are_dropped_too()
    {
        var headers = new HeaderDictionary
        {
            ["x-ratelimit-limit-requests"] = "10000",
            ["x-ratelimit-remaining-tokens"] = "99",
            ["openai-organization"] = "org-abc",
            ["openai-project"] = "proj_abc",
            ["anthropic-organization-id"] = OrganisationId,
            ["Anthropic-RateLimit-Requests-Limit"] = "4000",
            ["retry-after"] = "3",
            ["request-id"] = "req_1",
        };

        new TenantResponseHeaders().Apply(headers);

        Assert.Equal(["request-id", "retry-after"], headers.Keys.Order(StringComparer.Ordinal).ToArray());
    }

    private static void AssertNoOrganisation(HttpResponseMessage response)
    {
        Assert.Null(Header(response, "anthropic-organization-id"));
        Assert.DoesNotContain(response.Headers, h => h.Value.Any(v => v.Contains(OrganisationId, StringComparison.Ordinal))
            || h.Value.Contains("4000") || h.Value.Contains("3999"));
    }

    private static IEnumerable<string> RateLimitHeaders(HttpResponseMessage response) =>
        response.Headers.Select(h => h.Key).Where(k => k.StartsWith("anthropic-ratelimit-", StringComparison.OrdinalIgnoreCase));

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.First() : null;

    /// <summary>An upstream that, like Anthropic's, tells every caller its organisation's id and limits.</summary>
    private sealed class OrganisationUpstream : IAsyncDisposable
    {
        public const string ReplyHeader = "x-test-reply";

        private readonly WebApplication _app;

        private OrganisationUpstream(WebApplication app, Uri baseAddress)
        {
            _app = app;
            BaseAddress = baseAddress;
        }

        public Uri BaseAddress { get; }

        public static async Task<OrganisationUpstream> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.MapPost("/v1/messages", (HttpContext context) => ReplyAsync(context));
            app.MapGet("/v1/models", (HttpContext context) =>
            {
                Organisation(context.Response.Headers);
                return context.Response.WriteAsync("""{"data":[],"has_more":false,"first_id":null,"last_id":null}""");
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new OrganisationUpstream(app, new Uri(address + "/"));
        }

        private static Task ReplyAsync(HttpContext context)
        {
            var response = context.Response;
            Organisation(response.Headers);
            response.ContentType = "application/json";
            if (context.Request.Headers[ReplyHeader] is [{ } status])
            {
                response.StatusCode = int.Parse(status);
                response.Headers["request-id"] = "req_upstream_400";
                return response.WriteAsync(UpstreamError);
            }
            response.Headers["request-id"] = "req_upstream_ok";
            return response.WriteAsync("""{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":2}}""");
        }

        private static void Organisation(IHeaderDictionary h)
        {
            h["anthropic-organization-id"] = OrganisationId;
            h["anthropic-ratelimit-requests-limit"] = "4000";
            h["anthropic-ratelimit-requests-remaining"] = "3999";
            h["anthropic-ratelimit-requests-reset"] = "2026-12-07T08:00:00Z";
            h["anthropic-ratelimit-tokens-limit"] = "400000";
            h["anthropic-ratelimit-tokens-remaining"] = "399000";
            h["anthropic-ratelimit-input-tokens-limit"] = "300000";
            h["anthropic-ratelimit-output-tokens-limit"] = "100000";
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
