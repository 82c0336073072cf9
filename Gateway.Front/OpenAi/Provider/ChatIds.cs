using System.Security.Cryptography;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>Ids for what an OpenAI-compatible server left without one (some omit tool call or completion ids).</summary>
internal static class ChatIds
{
    public static string Message() => "msg_gw_" + Random();
    public static string ToolUse() => "toolu_gw_" + Random();

    private static string Random()
    {
        Span<byte> bytes = stackalloc byte[12];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
