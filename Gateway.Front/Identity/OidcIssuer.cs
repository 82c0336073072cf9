using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Gateway.Front.Identity;

/// <summary>
/// One configured provider at run time: its discovery document and signing keys through
/// Microsoft.IdentityModel's <see cref="ConfigurationManager{T}"/> (cached, refreshed on its own schedule and
/// on demand when an unknown key id appears), and the options it was configured with.
/// </summary>
public sealed class OidcIssuer
{
    public OidcIssuer(IdentityIssuerOptions options, HttpClient http)
    {
        Options = options;
        var metadata = options.Authority.TrimEnd('/') + "/.well-known/openid-configuration";
        Configuration = new ConfigurationManager<OpenIdConnectConfiguration>(metadata, new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(http) { RequireHttps = options.RequireHttps });
    }

    public IdentityIssuerOptions Options { get; }

    public string Name => Options.Name;

    public ConfigurationManager<OpenIdConnectConfiguration> Configuration { get; }
}
