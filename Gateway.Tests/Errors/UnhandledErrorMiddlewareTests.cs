using System.Net;
using Gateway.Front.Errors;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Errors;

/// <summary>
/// An exception no endpoint handles reaches the client as Anthropic's 500 <c>api_error</c> (with a
/// request id and a retry hint), over real HTTP, instead of Kestrel's bare 500; a response already
/// streaming is cut instead.
/// </summary>
public sealed class UnhandledErrorMiddlewareTests
{
    [Fact]
    public async Task An_unhandled_exception_is_an_Anthropic_shaped_500_and_a_started_response_is_cut()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.UseAnthropicErrorsForUnhandledExceptions();
        app.MapGet("/throws", (HttpContext _) => throw new InvalidOperationException("a store said no"));
        app.MapGet("/throws-late", async context =>
        {
            await context.Response.WriteAsync("data: partial\n\n");
            await context.Response.Body.FlushAsync();
            throw new InvalidOperationException("mid-stream");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };

        using var response = await client.GetAsync("/throws");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("api_error", Json.AssertAnthropicError(body));
        Assert.DoesNotContain("a store said no", body);
        Assert.StartsWith("req_gw_", response.Headers.GetValues("request-id").Single());
        Assert.Equal("true", response.Headers.GetValues("x-should-retry").Single());

        await Assert.ThrowsAnyAsync<HttpRequestException>(async () =>
        {
            using var late = await client.GetAsync("/throws-late");
            await late.Content.ReadAsStringAsync();
        });
        await app.StopAsync();
    }
}
