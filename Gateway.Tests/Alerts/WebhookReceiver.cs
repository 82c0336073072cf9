using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Alerts;

/// <summary>
/// A webhook endpoint on a loopback port (Kestrel), scripted to fail first: the answers in <c>script</c> go,
/// one per request, to the first requests (a status code, or <see cref="Hang"/>: no answer until the sender gives
/// up), and every later request gets 200. Records each request with what it was answered.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    /// <summary>A scripted answer: hold the request open (the sender's timeout ends it).</summary>
    public const int Hang = -1;

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _script;
    private readonly ConcurrentQueue<Received> _received = new();

    public sealed record Received(string Path, JsonElement Body, string? DeliveryHeader, string? ContentType, int Answer, DateTimeOffset At);

    private WebhookReceiver(WebApplication app, ConcurrentQueue<int> script)
    {
        _app = app;
        _script = script;
    }

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<Received> Requests => [.. _received];

    /// <summary>The requests answered 200.</summary>
    public IReadOnlyList<Received> Accepted => [.. _received.Where(r => r.Answer == 200)];

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    public static async Task<WebhookReceiver> StartAsync(params int[] script)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, new ConcurrentQueue<int>(script));
        app.MapPost("/{**path}", receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        receiver.BaseAddress = new Uri(address + "/");
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var answer = _script.TryDequeue(out var scripted) ? scripted : 200;
        _received.Enqueue(new Received(context.Request.Path, body.RootElement.Clone(), context.Request.Headers["X-Gateway-Alert-Delivery"],
            context.Request.ContentType, answer, DateTimeOffset.UtcNow));
        if (answer == Hang)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return; // the sender gave up, as scripted
            }
            answer = 200;
        }
        context.Response.StatusCode = answer;
        await context.Response.WriteAsync(answer == 200 ? "ok" : "no");
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the requests so far, failing after <paramref name="timeout"/>.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<Received>, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (!condition(Requests))
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"Timed out waiting for {what}; received: " +
                string.Join("; ", Requests.Select(r => $"{r.Answer} {r.Body.GetProperty("threshold")}% {r.Body.GetProperty("id")}")));
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
