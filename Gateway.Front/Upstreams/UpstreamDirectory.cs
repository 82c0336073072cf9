using Microsoft.Extensions.Options;

namespace Gateway.Front.Upstreams;

/// <summary>
/// The configured providers (<c>Upstream:Providers</c>, or the flat <c>Upstream:BaseUrl</c> +
/// <c>Upstream:ApiKeys</c> as one provider named <c>anthropic</c>) with their key pools. The default
/// provider's address can be set once at start-up, when the embedded fake upstream picks its port.
/// </summary>
public sealed class UpstreamDirectory
{
    /// <summary>What the embedded fake accepts; a virtual key must never be forwarded, even to it.</summary>
    public const string EmbeddedFakeKey = "sk-fake-upstream-local";

    /// <summary>The name of the provider the flat configuration describes.</summary>
    public const string DefaultProviderName = "anthropic";

    private readonly Dictionary<string, UpstreamProvider> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly KeyPoolOptions _pool;
    private readonly UpstreamSyncNudge _nudge = new();

    /// <summary>Wakes the key sync early when a key cools down (see <see cref="UpstreamKeySync"/>).</summary>
    public UpstreamSyncNudge SyncNudge => _nudge;

    public UpstreamDirectory(IOptions<UpstreamOptions> options)
    {
        var o = options.Value;
        _pool = o.Pool;
        if (o.Providers.Length > 0)
        {
            Providers = o.Providers.Select(p => IsBedrock(p) ? BedrockProvider(p, o) : new UpstreamProvider(p.Name, p.Kind, BaseUrlOf(p),
                PoolOf(p.Name, CredentialsOf(p)), p.Breaker?.Over(o.Breaker) ?? o.Breaker) { Settings = p }).ToArray();
        }
        else
        {
            Providers = [new UpstreamProvider(DefaultProviderName, UpstreamProviderOptions.AnthropicKind, o.BaseUrl,
                PoolOf(DefaultProviderName, o.ApiKeys.Select(UpstreamCredential.From)), o.Breaker)];
        }
        foreach (var provider in Providers)
        {
            _byName[provider.Name] = provider;
        }
    }

    public IReadOnlyList<UpstreamProvider> Providers { get; }

    /// <summary>Requests no routing rule claims go here: the first provider.</summary>
    public UpstreamProvider Default => Providers[0];

    public UpstreamProvider? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Base URL of the default provider, without a trailing slash.</summary>
    public string DestinationPrefix => Default.DestinationPrefix;

    /// <summary>True when the configuration names no upstream and the embedded fake must serve.</summary>
    public bool NeedsEmbeddedFake => Providers.Count == 1 && !Default.HasAddress;

    public void UseEmbeddedFake(Uri address)
    {
        Default.SetAddress(address);
        if (Default.Pool.IsEmpty)
        {
            Default.Pool = PoolOf(Default.Name, [UpstreamCredential.From(EmbeddedFakeKey)]);
        }
    }

    /// <summary>The default provider's next credential (most headroom); null: the client's own credential goes through.</summary>
    public UpstreamCredential? NextCredential() => Default.Pool.Pick(DateTimeOffset.UtcNow)?.Credential;

    /// <summary>
    /// A Vertex provider without a base URL calls Google's regional endpoint (<c>https://{region}-aiplatform.googleapis.com</c>,
    /// or <c>https://aiplatform.googleapis.com</c> for the <c>global</c> location).
    /// </summary>
    private static string? BaseUrlOf(UpstreamProviderOptions p) =>
        !string.IsNullOrWhiteSpace(p.BaseUrl) || !p.Kind.Equals(UpstreamProviderOptions.VertexKind, StringComparison.OrdinalIgnoreCase) || string.IsNullOrWhiteSpace(p.Region)
            ? p.BaseUrl
            : p.Region.Equals("global", StringComparison.OrdinalIgnoreCase)
                ? "https://aiplatform.googleapis.com"
                : $"https://{p.Region.ToLowerInvariant()}-aiplatform.googleapis.com";

    /// <summary>
    /// The provider's pool. A Vertex provider authenticates with a Google credential rather than keys: it gets one
    /// pool member standing for that credential (its id, never a secret, names it in metrics and the audit log), so
    /// cool-downs, headroom and breakers work as for any pool.
    /// </summary>
    private static IEnumerable<UpstreamCredential> CredentialsOf(UpstreamProviderOptions p) =>
        p.Keys.Length == 0 && p.Kind.Equals(UpstreamProviderOptions.VertexKind, StringComparison.OrdinalIgnoreCase)
            ? [new UpstreamCredential("", "gcp-" + p.Name)]
            : p.Keys.Select(k => string.IsNullOrWhiteSpace(k.Id) ? UpstreamCredential.From(k.Secret) : new UpstreamCredential(k.Secret, k.Id));

    private static bool IsBedrock(UpstreamProviderOptions p) =>
        p.Kind.Equals(UpstreamProviderOptions.BedrockKind, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A <c>bedrock</c> provider. Without Bedrock API keys its pool holds one entry standing for the provider's AWS
    /// identity (no secret: requests are SigV4-signed), so a throttled identity cools down cluster-wide like a key.
    /// </summary>
    private UpstreamProvider BedrockProvider(UpstreamProviderOptions p, UpstreamOptions o)
    {
        var region = p.Region!;
        var baseUrl = string.IsNullOrWhiteSpace(p.BaseUrl) ? Bedrock.Provider.BedrockEndpoint.DefaultBaseUrl(region) : p.BaseUrl;
        IEnumerable<UpstreamCredential> credentials = p.Keys.Length > 0 ? CredentialsOf(p) : [new UpstreamCredential("", AwsIdentityId + region)];
        return new UpstreamProvider(p.Name, p.Kind, baseUrl, PoolOf(p.Name, credentials), p.Breaker?.Over(o.Breaker) ?? o.Breaker)
        {
            Settings = p,
            Bedrock = new Bedrock.Provider.BedrockEndpoint(region, p.Models,
                string.IsNullOrWhiteSpace(p.InferenceProfile) ? null : p.InferenceProfile),
        };
    }

    /// <summary>The id (logs, metrics, audit) of a Bedrock provider's AWS identity: <c>aws-{region}</c>.</summary>
    public const string AwsIdentityId = "aws-";


    private KeyPool PoolOf(string provider, IEnumerable<UpstreamCredential> credentials) =>
        new(credentials.Select(c => new PooledKey(provider, c, _pool, _nudge)).ToArray());
}
