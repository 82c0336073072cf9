using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>
/// Decides whether the fake answers with a tool call. The rule is deliberately simple and visible
/// to test authors: the request offers <c>tools</c>, and either <c>tool_choice.type</c> is "tool"/"any"
/// or the last user message's text contains the word "tool". A tool_result turn (no text) therefore
/// gets a text answer, so agent loops end.
/// </summary>
internal static class ToolChoice
{
    /// <summary>The tool to call, or null for a text reply.</summary>
    public static string? Choose(JsonElement root)
    {
        if (!root.TryGetProperty("tools"u8, out var tools) || tools.ValueKind != JsonValueKind.Array || tools.GetArrayLength() == 0)
        {
            return null;
        }

        var first = tools[0].ValueKind == JsonValueKind.Object && tools[0].TryGetProperty("name"u8, out var n) && n.ValueKind == JsonValueKind.String
            ? n.GetString()
            : null;

        if (root.TryGetProperty("tool_choice"u8, out var choice) && choice.ValueKind == JsonValueKind.Object
            && choice.TryGetProperty("type"u8, out var type))
        {
            if (type.ValueEquals("none"u8))
            {
                return null;
            }
            if (type.ValueEquals("tool"u8))
            {
                return choice.TryGetProperty("name"u8, out var named) && named.ValueKind == JsonValueKind.String
                    ? named.GetString()
                    : first;
            }
            if (type.ValueEquals("any"u8))
            {
                return first;
            }
        }

        return LastUserTextMentionsTool(root) ? first : null;
    }

    private static bool LastUserTextMentionsTool(JsonElement root)
    {
        if (!root.TryGetProperty("messages"u8, out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        JsonElement? lastUser = null;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role"u8, out var role) && role.ValueEquals("user"u8))
            {
                lastUser = message;
            }
        }

        if (lastUser is not { } user || !user.TryGetProperty("content"u8, out var content))
        {
            return false;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return Mentions(content);
        }
        if (content.ValueKind != JsonValueKind.Array)
        {
            return false;
        }
        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind == JsonValueKind.Object
                && block.TryGetProperty("type"u8, out var blockType) && blockType.ValueEquals("text"u8)
                && block.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String
                && Mentions(text))
            {
                return true;
            }
        }
        return false;
    }

    private static bool Mentions(JsonElement text) =>
        text.GetString()!.Contains("tool", StringComparison.OrdinalIgnoreCase);
}
