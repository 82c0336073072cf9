namespace Gateway.Bench;

internal static class Client
{
    /// <summary>The session every bench request belongs to, as Claude Code sends it (one session grain on the gateway).</summary>
    public const string SessionHeader = "X-Claude-Code-Session-Id";

    public static readonly string BenchSession = Guid.NewGuid().ToString();

    /// <summary>One client per address of the target (two fronts: two clients; callers alternate or split).</summary>
    public static HttpClient[] For(Target target) => target.Addresses.Select(address => For(target, address)).ToArray();

    private static HttpClient For(Target target, Uri address)
    {
        var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 256, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(60),
            DefaultRequestHeaders = { { "x-api-key", target.ApiKey }, { "anthropic-version", "2023-06-01" }, { SessionHeader, BenchSession } },
        };
        foreach (var (name, value) in target.Headers ?? new Dictionary<string, string>())
        {
            client.DefaultRequestHeaders.Add(name, value);
        }
        return client;
    }
}
