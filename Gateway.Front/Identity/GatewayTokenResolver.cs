using System.Collections.Concurrent;
using Gateway.Front.Auth;
using Gateway.Grains.Storage;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Front.Identity;

/// <summary>
/// Gateway access tokens presented as <c>x-api-key</c> or bearer: validated once (signature, issuer, type,
/// expiry), then remembered by their SHA-256 until they expire, so a request costs a hash and a dictionary
/// read before the usual key lookup; no call to a provider, ever. Revocation is the key's: the token names
/// the user key's lookup hash, which the key-change notifications invalidate.
/// </summary>
public sealed class GatewayTokenResolver(GatewayTokens tokens, IOptions<IdentityOptions> options, TimeProvider time) : IBearerTokenResolver
{
    private readonly ConcurrentDictionary<string, Cached> _cache = new(StringComparer.Ordinal);
    private readonly int _capacity = options.Value.TokenCacheSize;
    private int _count;

    public int CachedTokens => Volatile.Read(ref _count);

    /// <summary>A compact JWS (three base64url parts, a JSON header): never a virtual key (<c>sk-gw-…</c>).</summary>
    public bool IsToken(string credential) =>
        credential.StartsWith("eyJ", StringComparison.Ordinal) && credential.AsSpan().Count('.') == 2;

    public async ValueTask<BearerTokenResult> ResolveAsync(string credential)
    {
        var hash = KeySecrets.Hash(credential);
        var now = time.GetUtcNow().UtcTicks;
        if (_cache.TryGetValue(hash, out var cached))
        {
            if (cached.ExpiresTicks > now)
            {
                return new BearerTokenResult(cached.LookupHash, cached.KeyId, null);
            }
            Remove(hash);
            return BearerTokenResult.Refused(Expired);
        }
        var result = await tokens.ValidateAccessAsync(credential);
        if (!result.IsValid)
        {
            return BearerTokenResult.Refused(result.Exception is SecurityTokenExpiredException
                ? Expired
                : "Invalid sign-in token: not signed by this gateway, or not an access token.");
        }
        var token = (JsonWebToken)result.SecurityToken;
        if (!token.TryGetPayloadValue<string>(GatewayTokens.LookupHashClaim, out var lookupHash) || lookupHash.Length != KeySecrets.HashLength
            || string.IsNullOrEmpty(token.Subject))
        {
            return BearerTokenResult.Refused("Invalid sign-in token: it names no key.");
        }
        Add(hash, new Cached(lookupHash, token.Subject, new DateTimeOffset(token.ValidTo, TimeSpan.Zero).UtcTicks));
        return new BearerTokenResult(lookupHash, token.Subject, null);
    }

    private const string Expired = "The sign-in token has expired: sign in again (Claude Code's apiKeyHelper refreshes it).";

    private void Add(string hash, Cached entry)
    {
        if (Volatile.Read(ref _count) >= _capacity)
        {
            Sweep();
            if (Volatile.Read(ref _count) >= _capacity)
            {
                // A cache: forgetting everything costs one validation per live token, nothing more.
                _cache.Clear();
                Volatile.Write(ref _count, 0);
            }
        }
        if (_cache.TryAdd(hash, entry))
        {
            Interlocked.Increment(ref _count);
        }
    }

    private void Remove(string hash)
    {
        if (_cache.TryRemove(hash, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>Drops expired tokens.</summary>
    public void Sweep()
    {
        var now = time.GetUtcNow().UtcTicks;
        foreach (var (hash, entry) in _cache)
        {
            if (entry.ExpiresTicks <= now)
            {
                Remove(hash);
            }
        }
    }

    private sealed record Cached(string LookupHash, string KeyId, long ExpiresTicks);
}
