using System.Text.Json;

namespace Gateway.Tests.Rewrite;

/// <summary>
/// An independent reading of a body's breakpoints with <see cref="JsonDocument"/>: their TTLs in
/// Anthropic's prompt order (tools, system, messages and the blocks nested in them, then a top-level
/// automatic one last), to check the limit of four and the 1h-before-5m rule.
/// </summary>
internal static class BreakpointAudit
{
    public static List<string> Ttls(ReadOnlySpan<byte> body)
    {
        using var doc = JsonDocument.Parse(body.ToArray());
        var root = doc.RootElement;
        var ttls = new List<string>();
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                Marker(tool, ttls);
            }
        }
        if (root.TryGetProperty("system", out var system) && system.ValueKind == JsonValueKind.Array)
        {
            Blocks(system, ttls);
        }
        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
                {
                    Blocks(content, ttls);
                }
            }
        }
        Marker(root, ttls);
        return ttls;
    }

    public static int Count(ReadOnlySpan<byte> body) => Ttls(body).Count;

    /// <summary>At most four, and no 1h breakpoint after a 5m one.</summary>
    public static bool IsAcceptable(ReadOnlySpan<byte> body, out string why)
    {
        var ttls = Ttls(body);
        why = $"[{string.Join(", ", ttls)}]";
        if (ttls.Count > 4)
        {
            return false;
        }
        var seen5m = false;
        foreach (var ttl in ttls)
        {
            if (ttl == "1h" && seen5m)
            {
                return false;
            }
            seen5m |= ttl != "1h";
        }
        return true;
    }

    private static void Blocks(JsonElement array, List<string> ttls)
    {
        foreach (var block in array.EnumerateArray())
        {
            Marker(block, ttls);
            if (block.ValueKind == JsonValueKind.Object && block.TryGetProperty("content", out var nested) && nested.ValueKind == JsonValueKind.Array)
            {
                Blocks(nested, ttls);
            }
        }
    }

    private static void Marker(JsonElement element, List<string> ttls)
    {
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("cache_control", out var cc) && cc.ValueKind == JsonValueKind.Object)
        {
            ttls.Add(cc.TryGetProperty("ttl", out var ttl) && ttl.ValueKind == JsonValueKind.String ? ttl.GetString()! : "5m");
        }
    }
}
