namespace Gateway.Front.Identity;

/// <summary>
/// The one HttpClient for calls to identity providers (discovery, JWKS, device and token endpoints): pooled
/// connections renewed every few minutes (DNS changes reach it), bounded connect and total time.
/// </summary>
public sealed class IdentityHttp : IDisposable
{
    public HttpClient Client { get; } = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        AllowAutoRedirect = false,
    })
    {
        Timeout = TimeSpan.FromSeconds(15),
    };

    public void Dispose() => Client.Dispose();
}
