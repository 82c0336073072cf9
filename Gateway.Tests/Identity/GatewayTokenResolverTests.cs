using System.Diagnostics;
using Gateway.Front.Identity;
using Gateway.Grains.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Gateway.Tests.Identity;

public sealed class GatewayTokenResolverTests(ITestOutputHelper output)
{
    private static readonly SignedInUser User = new(UserKeys.IdFor("corp", "alice"), UserKeys.NewLookupHash(), "alice@example.com", "team_1", "corp", false);

    private static (GatewayTokens Tokens, GatewayTokenResolver Resolver) Create(TimeProvider? time = null, int cacheSize = 1000)
    {
        var options = Options.Create(new IdentityOptions
        {
            SigningKey = IdentityTestTokens.SigningKey,
            TokenLifetime = TimeSpan.FromMinutes(10),
            TokenCacheSize = cacheSize,
        });
        var tokens = new GatewayTokens(options, TimeProvider.System);
        return (tokens, new GatewayTokenResolver(tokens, options, time ?? TimeProvider.System));
    }

    [Fact]
    public void Only_a_compact_JWT_is_taken_for_a_token_never_a_virtual_key_or_a_refresh_token()
    {
        var (tokens, resolver) = Create();
        Assert.True(resolver.IsToken(tokens.CreateAccess(User).Token));
        Assert.False(resolver.IsToken(KeySecrets.Generate()));
        Assert.False(resolver.IsToken("eyJhbGciOiJub25lIn0"));
        // The refresh token is encrypted (five parts): it can never be presented as an access token.
        Assert.False(resolver.IsToken(tokens.CreateRefresh(User, "provider-refresh")));
    }

    [Fact]
    public async Task A_valid_token_names_its_key_and_is_validated_once_until_it_expires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (tokens, resolver) = Create(time);
        var (token, expires) = tokens.CreateAccess(User);

        var first = await resolver.ResolveAsync(token);
        Assert.True(first.Valid);
        Assert.Equal(User.LookupHash, first.LookupHash);
        Assert.Equal(User.KeyId, first.KeyId);
        Assert.Equal(1, resolver.CachedTokens);
        Assert.Equal(first, await resolver.ResolveAsync(token));

        time.SetUtcNow(expires + TimeSpan.FromSeconds(1));
        var expired = await resolver.ResolveAsync(token);
        Assert.False(expired.Valid);
        Assert.Contains("expired", expired.Error);
        Assert.Equal(0, resolver.CachedTokens);
    }

    [Fact]
    public async Task Forged_expired_and_refresh_tokens_are_refused()
    {
        var (tokens, resolver) = Create();
        Assert.Contains("expired", (await resolver.ResolveAsync(IdentityTestTokens.Expired(User))).Error);
        Assert.False((await resolver.ResolveAsync(IdentityTestTokens.Forged(User))).Valid);
        Assert.False((await tokens.ValidateAccessAsync(tokens.CreateRefresh(User, null))).IsValid);
        var (access, _) = tokens.CreateAccess(User);
        var tampered = access[..^4] + (access[^4] == 'A' ? "B" : "A") + access[^3..];
        Assert.False((await resolver.ResolveAsync(tampered)).Valid);
        Assert.Equal(0, resolver.CachedTokens);
    }

    [Fact]
    public async Task The_cache_is_bounded()
    {
        var (tokens, resolver) = Create(cacheSize: 10);
        for (var i = 0; i < 25; i++)
        {
            var user = User with { KeyId = UserKeys.IdFor("corp", "u" + i) };
            Assert.True((await resolver.ResolveAsync(tokens.CreateAccess(user).Token)).Valid);
        }
        Assert.InRange(resolver.CachedTokens, 1, 10);
    }

    [Fact]
    public async Task A_cached_token_costs_about_what_a_key_hash_costs()
    {
        var (tokens, resolver) = Create();
        var (token, _) = tokens.CreateAccess(User);
        var clock = Stopwatch.StartNew();
        await resolver.ResolveAsync(token);
        var firstMicroseconds = clock.Elapsed.TotalMicroseconds;
        const int Rounds = 20_000;
        clock.Restart();
        for (var i = 0; i < Rounds; i++)
        {
            await resolver.ResolveAsync(token);
        }
        var cached = clock.Elapsed.TotalMicroseconds / Rounds;
        clock.Restart();
        for (var i = 0; i < Rounds; i++)
        {
            KeySecrets.Hash("sk-gw-0123456789012345678901234567890123456789");
        }
        var keyHash = clock.Elapsed.TotalMicroseconds / Rounds;
        output.WriteLine($"first validation {firstMicroseconds:0} µs; cached token {cached:0.00} µs per request; a virtual key's SHA-256 {keyHash:0.00} µs");
        // A generous bound for a loaded CI machine: the point is no signature check and no I/O per request.
        Assert.True(cached < 50, $"a cached token took {cached:0.00} µs");
    }
}
