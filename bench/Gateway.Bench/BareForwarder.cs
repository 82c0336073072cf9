using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Bench;

/// <summary>
/// The floor for any .NET front: Kestrel and YARP's <see cref="IHttpForwarder"/> passing every request to the
/// upstream as it is, with nothing else (no key, no envelope read, no limits, no metrics). Measured beside the
/// gateway, it splits the gateway's added latency into what ASP.NET Core, YARP and HttpClient cost on the machine
/// (this row) and what the gateway's own work costs (the difference). Runs as a child process of the bench:
/// <c>Gateway.Bench bare-forwarder --port 8081 --upstream http://127.0.0.1:8080/</c>.
/// </summary>
internal static class BareForwarder
{
    public static async Task RunCommandAsync(string[] args)
    {
        string? Str(string name) => CommandLine.Value(args, name);
        var port = int.Parse(Str("--port") ?? throw new ArgumentException("--port is required"));
        var upstream = Str("--upstream") ?? throw new ArgumentException("--upstream is required");

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Services.AddHttpForwarder();
        await using var app = builder.Build();

        // The handler YARP's direct-forwarding sample uses: no proxy, redirects, cookies or decompression, and no
        // activity headers, so every byte of the request and the reply is the client's and the upstream's.
        using var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        });
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var config = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(5) };
        app.MapGet("/health", () => "ok"); // the bench's readiness probe, answered here rather than upstream
        app.Map("/{**path}", async context =>
        {
            var error = await forwarder.SendAsync(context, upstream, client, config, HttpTransformer.Default);
            if (error != ForwarderError.None)
            {
                Debug.WriteLine($"bare forwarder: {error}");
            }
        });
        await app.RunAsync();
    }
}
