namespace Gateway.Bench;

internal static class Client
{
    public static HttpClient For(Target target) => new(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 256 })
    {
        BaseAddress = target.Address,
        DefaultRequestHeaders = { { "x-api-key", target.ApiKey }, { "anthropic-version", "2023-06-01" } },
    };
}
