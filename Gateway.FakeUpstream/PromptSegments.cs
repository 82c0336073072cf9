using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>Receives the prompt's cacheable pieces in Anthropic's cache order.</summary>
internal interface IPromptSegmentVisitor
{
    /// <summary>A section or message starts (tag distinguishes tools/system/user/assistant in the hash).</summary>
    void Boundary(byte tag);

    /// <summary>One block; <paramref name="markers"/> counts cache_control on it and on blocks nested in it.</summary>
    void Segment(JsonElement element, int markers, bool ttl1h);

    /// <summary>A top-level (automatic) <c>cache_control</c>: counts toward the 4 and caches everything.</summary>
    void TopLevel(bool ttl1h);
}

/// <summary>
/// Walks tools, then system, then messages, the order in which Anthropic builds the cached prefix,
/// reporting each block once. Generic over a struct visitor so counting and hashing share one walk
/// without allocating or dispatching virtually.
/// </summary>
internal static class PromptSegments
{
    public const byte ToolsTag = (byte)'T';
    public const byte SystemTag = (byte)'S';
    public const byte UserTag = (byte)'U';
    public const byte AssistantTag = (byte)'A';

    public static void Walk<TVisitor>(JsonElement root, ref TVisitor visitor) where TVisitor : struct, IPromptSegmentVisitor
    {
        if (root.TryGetProperty("tools"u8, out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            visitor.Boundary(ToolsTag);
            foreach (var tool in tools.EnumerateArray())
            {
                Block(tool, ref visitor);
            }
        }

        if (root.TryGetProperty("system"u8, out var system))
        {
            visitor.Boundary(SystemTag);
            Content(system, ref visitor);
        }

        if (root.TryGetProperty("messages"u8, out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }
                var assistant = message.TryGetProperty("role"u8, out var role) && role.ValueEquals("assistant"u8);
                visitor.Boundary(assistant ? AssistantTag : UserTag);
                if (message.TryGetProperty("content"u8, out var content))
                {
                    Content(content, ref visitor);
                }
            }
        }

        if (Marker(root, out var ttl1h))
        {
            visitor.TopLevel(ttl1h);
        }
    }

    private static void Content<TVisitor>(JsonElement content, ref TVisitor visitor) where TVisitor : struct, IPromptSegmentVisitor
    {
        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray())
            {
                Block(block, ref visitor);
            }
        }
        else
        {
            // A plain string system prompt or message: one block that cannot carry a breakpoint.
            visitor.Segment(content, 0, false);
        }
    }

    private static void Block<TVisitor>(JsonElement block, ref TVisitor visitor) where TVisitor : struct, IPromptSegmentVisitor
    {
        var markers = 0;
        var ttl1h = false;
        if (Marker(block, out var own1h))
        {
            markers++;
            ttl1h |= own1h;
        }

        // tool_result blocks nest their own content blocks, which may carry cache_control too.
        if (block.ValueKind == JsonValueKind.Object && block.TryGetProperty("content"u8, out var nested) && nested.ValueKind == JsonValueKind.Array)
        {
            foreach (var inner in nested.EnumerateArray())
            {
                if (Marker(inner, out var inner1h))
                {
                    markers++;
                    ttl1h |= inner1h;
                }
            }
        }

        visitor.Segment(block, markers, ttl1h);
    }

    private static bool Marker(JsonElement element, out bool ttl1h)
    {
        ttl1h = false;
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("cache_control"u8, out var cc) || cc.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        ttl1h = cc.TryGetProperty("ttl"u8, out var ttl) && ttl.ValueEquals("1h"u8);
        return true;
    }
}
