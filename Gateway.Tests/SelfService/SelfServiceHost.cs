using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.Front.SelfService;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.SelfService;

/// <summary>
/// One front with virtual keys over a real Postgres and the fake upstream, for the self-service usage tests; each test
/// makes its own teams and keys. Settlement is flushed often, so spend shows in the grain within a fraction of a second.
/// </summary>
public sealed class SelfServiceHost : TenantFrontHost
{
    protected override IDictionary<string, string?> FrontSettings => new Dictionary<string, string?>
    {
        ["Settlement:FlushInterval"] = "00:00:00.020",
    };

    public KeyStandingCache Standings => Front.Services.GetRequiredService<KeyStandingCache>();

    /// <summary>The caller's own usage as JSON (asserting a 200).</summary>
    public async Task<JsonElement> UsageAsync(string secret, string query = "")
    {
        using var client = Client(secret);
        using var response = await client.GetAsync("gateway/usage" + query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        return Json.Parse(body);
    }

    /// <summary>A client whose connections come from <paramref name="from"/> (a loopback address), to be another client address.</summary>
    public HttpClient ClientFrom(IPAddress from, string secret)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(from, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = Front.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", secret);
        return client;
    }
}
