using System.Security.Cryptography;

namespace Gateway.Grains.Storage;

/// <summary>Short readable ids: <c>team_</c> or <c>key_</c> and 12 random hex digits (48 bits).</summary>
public static class StoreIds
{
    public const string TeamPrefix = "team_";
    public const string KeyPrefix = "key_";

    public static string NewTeamId() => New(TeamPrefix);

    public static string NewKeyId() => New(KeyPrefix);

    private static string New(string prefix)
    {
        Span<byte> random = stackalloc byte[6];
        RandomNumberGenerator.Fill(random);
        return prefix + Convert.ToHexStringLower(random);
    }
}
