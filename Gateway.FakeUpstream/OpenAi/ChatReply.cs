using System.Text.Json;

namespace Gateway.FakeUpstream.OpenAi;

/// <summary>What the fake answers a Chat request: text cut into pieces (<see cref="ReplyPlan"/>) or tool calls, and the usage.</summary>
internal sealed record ChatReply(string Id, string Model, ReplyPlan Text, IReadOnlyList<ChatReply.ToolCall> ToolCalls,
    int PromptTokens, int CachedTokens)
{
    public sealed record ToolCall(string Id, string Name, string Arguments);

    public bool IsToolUse => ToolCalls.Count > 0;

    public string FinishReason => Text.StopReason == "max_tokens" ? "length" : IsToolUse ? "tool_calls" : "stop";

    public static ChatReply Create(FakeUpstreamOptions options, ChatRequest request)
    {
        var functions = ChatToolChoice.Choose(request.Root);
        var calls = functions.Select(f => new ToolCall("call_" + FakeIds.ToolUse()[6..], f.GetProperty("name"u8).GetString()!, ChatToolChoice.ArgumentsFor(f))).ToArray();
        var plan = ReplyPlan.Create(options, request.MaxTokens, calls.Length > 0 ? calls[0].Name : null);
        var prompt = TokenEstimate.FromBytes(request.BodyLength);
        return new ChatReply("chatcmpl-" + FakeIds.Message()[4..], request.Model, plan, calls, prompt, Math.Min(prompt, Math.Max(0, options.OpenAiCachedPromptTokens)));
    }

    public void WriteUsage(Utf8JsonWriter json)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("prompt_tokens"u8, PromptTokens);
        json.WriteNumber("completion_tokens"u8, Text.OutputTokens);
        json.WriteNumber("total_tokens"u8, PromptTokens + Text.OutputTokens);
        json.WriteStartObject("prompt_tokens_details"u8);
        json.WriteNumber("cached_tokens"u8, CachedTokens);
        json.WriteNumber("audio_tokens"u8, 0);
        json.WriteEndObject();
        json.WriteStartObject("completion_tokens_details"u8);
        json.WriteNumber("reasoning_tokens"u8, 0);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>Arguments cut into three fragments at fixed fractions, as OpenAI streams them in arbitrary pieces.</summary>
    public static string[] Fragments(string arguments)
    {
        var a = arguments.Length / 3;
        var b = 2 * arguments.Length / 3;
        return [arguments[..a], arguments[a..b], arguments[b..]];
    }
}
