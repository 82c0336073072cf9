using System.Net;
using Gateway.Front.Routing;
using Gateway.Front.Upstreams;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Batches;

/// <summary>
/// Calls the Message Batches API with one chosen upstream credential. A batch lives in the
/// organisation of the key that created it, so it is created with a key picked from the provider's
/// pool and every later call about it uses that same key (found again by its id), never a fresh pick.
/// </summary>
public sealed class BatchUpstream : IDisposable
{
    public const string AnthropicVersion = "2023-06-01";

    private static readonly string[] ForwardedHeaders = ["anthropic-version", "anthropic-beta"];

    private readonly UpstreamDirectory _directory;
    private readonly RouteTable _routes;
    private readonly HttpClient _http;

    public BatchUpstream(UpstreamDirectory directory, RouteTable routes, IOptions<UpstreamOptions> upstream, IOptions<BatchOptions> options)
    {
        _directory = directory;
        _routes = routes;
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = upstream.Value.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        { Timeout = options.Value.UpstreamTimeout };
    }

    /// <summary>
    /// Where a batch goes: the first Anthropic provider of the route of its first model (a batch cannot be
    /// split across organisations, and OpenAI-compatible providers have no batches), else the first
    /// Anthropic provider configured; null when there is none. The team is part of the match: a team pinned
    /// to its own provider (its own organisation and keys) must not send batches on the shared ones.
    /// </summary>
    public UpstreamProvider? ProviderFor(string model, string teamId) =>
        _routes.Resolve(model, teamId).Steps.Select(s => s.Provider).FirstOrDefault(p => !p.IsOpenAi)
        ?? _directory.Providers.FirstOrDefault(p => !p.IsOpenAi);

    /// <summary>A credential of <paramref name="provider"/> for a new batch: the pool's pick, or any key when all are cooling.</summary>
    public static UpstreamCredential? PickCredential(UpstreamProvider provider) =>
        (provider.Pool.Pick(DateTimeOffset.UtcNow) ?? (provider.Pool.Keys.Count > 0 ? provider.Pool.Keys[0] : null))?.Credential;

    /// <summary>The credential that created a batch, by provider and id; null when it is no longer configured.</summary>
    public (UpstreamProvider Provider, UpstreamCredential Credential)? Resolve(string provider, string upstreamKeyId) =>
        _directory.Find(provider) is { } found && found.Pool.Keys.FirstOrDefault(k => k.Credential.Id == upstreamKeyId) is { } key
            ? (found, key.Credential)
            : null;

    /// <summary>
    /// Sends one call; the caller disposes the response. <paramref name="client"/>'s
    /// <c>anthropic-version</c> and <c>anthropic-beta</c> go along (a sweep with no client sends the default version).
    /// </summary>
    public Task<HttpResponseMessage> SendAsync(UpstreamProvider provider, UpstreamCredential credential, HttpMethod method, string pathAndQuery,
        HttpRequest? client, ReadOnlyMemory<byte>? body, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(method, provider.DestinationPrefix + pathAndQuery);
        request.Headers.TryAddWithoutValidation("x-api-key", credential.Secret);
        foreach (var name in ForwardedHeaders)
        {
            if (client is not null && client.Headers.TryGetValue(name, out var values) && values.Count > 0)
            {
                request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
        if (!request.Headers.Contains("anthropic-version"))
        {
            request.Headers.TryAddWithoutValidation("anthropic-version", AnthropicVersion);
        }
        if (body is { } bytes)
        {
            request.Content = new ReadOnlyMemoryContent(bytes);
            request.Content.Headers.ContentType = new("application/json");
        }
        return _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    public void Dispose() => _http.Dispose();
}
