using System.Security.Cryptography;
using System.Text;
using Gateway.Grains.Storage;

namespace Gateway.Tests.Storage;

public sealed class KeySecretsTests
{
    [Fact]
    public void Secrets_are_prefixed_url_safe_and_unique()
    {
        var secrets = Enumerable.Range(0, 1000).Select(_ => KeySecrets.Generate()).ToList();

        Assert.All(secrets, s => Assert.Matches("^sk-gw-[A-Za-z0-9_-]{40}$", s));
        Assert.Equal(secrets.Count, secrets.Distinct().Count());
        // Every symbol of the alphabet shows up: the generator uses all 64 of them.
        Assert.Equal(64, secrets.SelectMany(s => s[KeySecrets.Prefix.Length..]).Distinct().Count());
    }

    [Fact]
    public void The_hash_is_lowercase_hex_SHA256_of_the_UTF8_secret()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", KeySecrets.Hash("abc"));

        var secret = KeySecrets.Generate();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret))), KeySecrets.Hash(secret));
        Assert.Equal(KeySecrets.HashLength, KeySecrets.Hash(secret).Length);

        // Longer than the stack buffer, and not ASCII: the pooled path gives the same answer.
        var long_ = new string('é', 500) + secret;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(long_))), KeySecrets.Hash(long_));
    }

    [Fact]
    public void Hashing_allocates_only_the_result()
    {
        var secret = KeySecrets.Generate();
        KeySecrets.Hash(secret);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            KeySecrets.Hash(secret.AsSpan());
        }
        var perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / 100;

        // A 64-character string is about 150 bytes; anything more would be a buffer per call.
        Assert.InRange(perCall, 0, 200);
    }

    [Fact]
    public void The_display_prefix_is_the_first_twelve_characters()
    {
        var secret = KeySecrets.Generate();
        Assert.Equal(secret[..12], KeySecrets.DisplayPrefix(secret));
        Assert.StartsWith("sk-gw-", KeySecrets.DisplayPrefix(secret));
        Assert.True(KeySecrets.LooksLikeVirtualKey(secret));
        Assert.False(KeySecrets.LooksLikeVirtualKey("admin-token-0123456789"));
    }
}
