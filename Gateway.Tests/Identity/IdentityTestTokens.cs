using Gateway.Front.Identity;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Identity;

/// <summary>Gateway tokens made outside a front: an expired one (signed right), one signed with another key.</summary>
internal static class IdentityTestTokens
{
    public const string SigningKey = "identity-test-signing-key-0123456789abcdef";

    public static string Expired(SignedInUser user)
    {
        var past = new FakeTimeProvider(DateTimeOffset.UtcNow - TimeSpan.FromHours(3));
        return Tokens(SigningKey, past).CreateAccess(user).Token;
    }

    public static string Forged(SignedInUser user) =>
        Tokens("someone-elses-signing-key-0123456789abcdef", TimeProvider.System).CreateAccess(user).Token;

    private static GatewayTokens Tokens(string signingKey, TimeProvider time) =>
        new(Options.Create(new IdentityOptions { SigningKey = signingKey, TokenLifetime = TimeSpan.FromMinutes(10) }), time);
}
