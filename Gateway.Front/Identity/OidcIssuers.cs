using Microsoft.Extensions.Options;

namespace Gateway.Front.Identity;

/// <summary>The configured providers by name, each with its discovery cache.</summary>
public sealed class OidcIssuers
{
    private readonly Dictionary<string, OidcIssuer> _byName;

    public OidcIssuers(IOptions<IdentityOptions> options, IdentityHttp http)
    {
        _byName = options.Value.Issuers.ToDictionary(i => i.Name, i => new OidcIssuer(i, http.Client),
            StringComparer.OrdinalIgnoreCase);
        All = [.. _byName.Values];
    }

    public IReadOnlyList<OidcIssuer> All { get; }

    public OidcIssuer? Find(string? name) =>
        string.IsNullOrEmpty(name) ? (All.Count == 1 ? All[0] : null) : _byName.GetValueOrDefault(name);
}
