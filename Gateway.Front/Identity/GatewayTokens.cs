using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Front.Identity;

/// <summary>
/// The gateway's own tokens, made with Microsoft.IdentityModel's <see cref="JsonWebTokenHandler"/>:
/// an access token (a JWT signed HS256, type <c>gw-access</c>: the user key's id, its lookup hash, expiry),
/// and a refresh token (a JWT encrypted to the gateway itself, type <c>gw-refresh</c>, so the provider's own
/// refresh token inside it stays secret and no front has to store it). Keys come from
/// <see cref="IdentityOptions.SigningKey"/> through HKDF, one per purpose.
/// </summary>
public sealed class GatewayTokens
{
    /// <summary>The <c>iss</c> and <c>aud</c> of every gateway token: a provider's token (another issuer) is never accepted.</summary>
    public const string Issuer = "anthropic-gateway";
    public const string AccessType = "gw-access";
    public const string RefreshType = "gw-refresh";

    /// <summary>The web console's session (a cookie): role, team, subject. Signed.</summary>
    public const string ConsoleType = "gw-console";

    /// <summary>The console's sign-in in flight (state, nonce, PKCE verifier in a short-lived cookie). Encrypted.</summary>
    public const string ConsoleFlowType = "gw-console-flow";

    public const string LookupHashClaim = "gw_kh";
    public const string IssuerNameClaim = "gw_idp";
    public const string AdminClaim = "gw_admin";
    public const string ProviderRefreshClaim = "gw_idp_rt";

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly IdentityOptions _options;
    private readonly TimeProvider _time;
    private readonly SigningCredentials _signing;
    private readonly EncryptingCredentials _encrypting;
    private readonly SymmetricSecurityKey _signingKey;
    private readonly SymmetricSecurityKey _encryptionKey;

    public GatewayTokens(IOptions<IdentityOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        var secret = Encoding.UTF8.GetBytes(_options.SigningKey ?? "");
        _signingKey = new SymmetricSecurityKey(HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: "gateway-token-signing"u8.ToArray()));
        _encryptionKey = new SymmetricSecurityKey(HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: "gateway-token-encryption"u8.ToArray()));
        _signing = new SigningCredentials(_signingKey, SecurityAlgorithms.HmacSha256);
        _encrypting = new EncryptingCredentials(_encryptionKey, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512);
    }

    public TimeSpan AccessLifetime => _options.TokenLifetime;

    public (string Token, DateTimeOffset Expires) CreateAccess(SignedInUser user)
    {
        var now = _time.GetUtcNow();
        var expires = now + _options.TokenLifetime;
        var token = Mint(AccessType, now, expires, encrypted: false, new Dictionary<string, object>
        {
            ["sub"] = user.KeyId,
            // Every token distinct, even two minted in one second for one person (a refresh right after sign-in).
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["name"] = user.UserName,
            [LookupHashClaim] = user.LookupHash,
            [IssuerNameClaim] = user.IssuerName,
            [AdminClaim] = user.Admin,
        });
        return (token, expires);
    }

    public string CreateRefresh(SignedInUser user, string? providerRefreshToken)
    {
        var now = _time.GetUtcNow();
        var claims = new Dictionary<string, object>
        {
            ["sub"] = user.KeyId,
            [LookupHashClaim] = user.LookupHash,
            [IssuerNameClaim] = user.IssuerName,
        };
        if (!string.IsNullOrEmpty(providerRefreshToken))
        {
            claims[ProviderRefreshClaim] = providerRefreshToken;
        }
        return Mint(RefreshType, now, now + _options.RefreshLifetime, encrypted: true, claims);
    }

    /// <summary>A console token (<see cref="ConsoleType"/>, signed) or sign-in state (<see cref="ConsoleFlowType"/>, also encrypted).</summary>
    public string CreateConsole(string type, IDictionary<string, object> claims, TimeSpan lifetime)
    {
        if (type is not (ConsoleType or ConsoleFlowType))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Not a console token type.");
        }
        var now = _time.GetUtcNow();
        return Mint(type, now, now + lifetime, encrypted: type == ConsoleFlowType, claims);
    }

    /// <summary>Every token the gateway issues: its own issuer and audience, valid from <paramref name="now"/> to <paramref name="expires"/>, signed, and encrypted when asked.</summary>
    private string Mint(string type, DateTimeOffset now, DateTimeOffset expires, bool encrypted, IDictionary<string, object> claims) =>
        _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Issuer,
            TokenType = type,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = _signing,
            EncryptingCredentials = encrypted ? _encrypting : null,
            Claims = claims,
        });

    public Task<TokenValidationResult> ValidateConsoleAsync(string type, string token) =>
        type is ConsoleType or ConsoleFlowType
            ? _handler.ValidateTokenAsync(token, Parameters(type))
            : throw new ArgumentOutOfRangeException(nameof(type), type, "Not a console token type.");

    /// <summary>Signature, issuer, audience, type and lifetime of an access token; the claims when valid.</summary>
    public Task<TokenValidationResult> ValidateAccessAsync(string token) =>
        _handler.ValidateTokenAsync(token, Parameters(AccessType));

    public Task<TokenValidationResult> ValidateRefreshAsync(string token) =>
        _handler.ValidateTokenAsync(token, Parameters(RefreshType));

    private TokenValidationParameters Parameters(string type) => new()
    {
        ValidIssuer = Issuer,
        ValidAudience = Issuer,
        ValidTypes = [type],
        IssuerSigningKey = _signingKey,
        TokenDecryptionKey = type is RefreshType or ConsoleFlowType ? _encryptionKey : null,
        ValidateIssuerSigningKey = true,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        // Every front signs and checks with the same clock source: a few seconds of skew between pods at most.
        ClockSkew = TimeSpan.FromSeconds(30),
    };
}
