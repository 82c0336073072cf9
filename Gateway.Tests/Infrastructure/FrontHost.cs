using Gateway.Front.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real gateway front on a real loopback port, built exactly as Program.cs builds it,
/// with test settings layered over appsettings.json.
/// </summary>
public sealed class FrontHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FrontHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<FrontHost> StartAsync(Uri upstream, IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Upstream:BaseUrl"] = upstream.ToString(),
            ["Upstream:ApiKeys:0"] = "sk-upstream-test",
            ["Upstream:RetryBaseDelay"] = "00:00:00.020",
            ["Upstream:RetryMaxDelay"] = "00:00:00.100",
            ["Upstream:ConnectTimeout"] = "00:00:02",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        return await StartAsync(all);
    }

    public static async Task<FrontHost> StartAsync(IDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FrontServiceCollectionExtensions).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Testing",
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings) { ["Urls"] = "http://127.0.0.1:0" });
        builder.AddGatewayFront();
        var app = builder.Build();
        app.MapGatewayFront();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new FrontHost(app, new Uri(address.Replace("[::]", "127.0.0.1") + "/"));
    }

    public HttpClient CreateClient(string apiKey = "sk-client-test")
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
