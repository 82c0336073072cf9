using System.Text.Json;

namespace Gateway.Bench;

/// <summary>
/// Portkey's open-source gateway (npm <c>@portkey-ai/gateway</c>, installed by <c>npm ci --prefix bench/peers</c>)
/// on Node, pointed at the fake upstream per request: <c>x-portkey-provider: anthropic</c> and
/// <c>x-portkey-custom-host</c> (loopback hosts are trusted by default), its <c>/v1/messages</c> route (Anthropic
/// in, Anthropic out), and <c>x-portkey-forward-headers</c> for the fake's pacing headers, which Portkey
/// otherwise does not pass on.
/// </summary>
internal static class PortkeyPeer
{
    private static string Prefix => Path.Combine(Repo.Root, "bench", "peers");

    private static string Package => Path.Combine(Prefix, "node_modules", "@portkey-ai", "gateway");

    public static string? Version()
    {
        var manifest = Path.Combine(Package, "package.json");
        return File.Exists(manifest) ? JsonDocument.Parse(File.ReadAllText(manifest)).RootElement.GetProperty("version").GetString() : null;
    }

    public static async Task<ChildProcess> StartAsync()
    {
        var port = ChildProcess.FreePort();
        // loopback.cjs makes its server listen on 127.0.0.1 (Portkey passes no host, so Node would take every interface).
        return await ChildProcess.StartProgramAsync("node",
            ["--require", Path.Combine(Prefix, "loopback.cjs"), Path.Combine(Package, "build", "start-server.js"), $"--port={port}", "--headless"],
            new Dictionary<string, string> { ["NODE_ENV"] = "production" }, port);
    }

    public static Dictionary<string, string> Headers(Uri upstream) => new()
    {
        ["x-portkey-provider"] = "anthropic",
        ["x-portkey-custom-host"] = new Uri(upstream, "v1").ToString(),
        ["x-portkey-forward-headers"] = $"{Gateway.FakeUpstream.FakeUpstreamHeaders.EventIntervalMs},{Gateway.FakeUpstream.FakeUpstreamHeaders.SendStamps}",
    };
}
