using System.Text.Json;

namespace Gateway.FakeUpstream.OpenAi;

/// <summary>
/// A Chat Completions request, checked as strictly as OpenAI checks it where a translation could go
/// wrong: no Anthropic-only fields, known roles, content parts OpenAI knows, tool messages answering
/// the preceding assistant's tool calls (and every tool call answered), function tools only.
/// </summary>
internal sealed class ChatRequest : IDisposable
{
    /// <summary>Top-level fields of the Messages API that Chat Completions rejects with "Unrecognized request argument".</summary>
    private static readonly string[] AnthropicOnly = ["system", "stop_sequences", "metadata", "top_k", "thinking", "max_tokens_to_sample", "anthropic_version", "container", "mcp_servers", "service_tier_anthropic"];

    private readonly JsonDocument _document;

    private ChatRequest(JsonDocument document, string model, int maxTokens, bool stream, bool includeUsage, int bodyLength)
    {
        _document = document;
        Model = model;
        MaxTokens = maxTokens;
        Stream = stream;
        IncludeUsage = includeUsage;
        BodyLength = bodyLength;
    }

    public JsonElement Root => _document.RootElement;
    public string Model { get; }
    public int MaxTokens { get; }
    public bool Stream { get; }
    public bool IncludeUsage { get; }
    public int BodyLength { get; }

    public static ChatRequest? Parse(ReadOnlyMemory<byte> body, out string error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            error = $"We could not parse the JSON body of your request. ({e.Message})";
            return null;
        }
        var ok = false;
        try
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "The request body must be a JSON object.";
                return null;
            }
            foreach (var name in AnthropicOnly)
            {
                if (root.TryGetProperty(name, out _))
                {
                    error = $"Unrecognized request argument supplied: {name}";
                    return null;
                }
            }
            if (!root.TryGetProperty("model"u8, out var m) || m.ValueKind != JsonValueKind.String || m.GetString() is not { Length: > 0 } model)
            {
                error = "you must provide a model parameter";
                return null;
            }
            if (!root.TryGetProperty("messages"u8, out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            {
                error = "[] is too short - 'messages'";
                return null;
            }
            if (CheckMessages(messages) is { } bad)
            {
                error = bad;
                return null;
            }
            if (root.TryGetProperty("tools"u8, out var tools) && CheckTools(tools) is { } badTool)
            {
                error = badTool;
                return null;
            }
            if (root.TryGetProperty("max_tokens"u8, out _) && root.TryGetProperty("max_completion_tokens"u8, out _))
            {
                error = "max_tokens and max_completion_tokens cannot both be set.";
                return null;
            }
            var maxTokens = int.MaxValue;
            if ((root.TryGetProperty("max_completion_tokens"u8, out var max) || root.TryGetProperty("max_tokens"u8, out max))
                && (!max.TryGetInt32(out maxTokens) || maxTokens < 1))
            {
                error = "Invalid 'max_completion_tokens': integer below minimum value. Expected a value >= 1.";
                return null;
            }
            var stream = root.TryGetProperty("stream"u8, out var s) && s.ValueKind == JsonValueKind.True;
            var includeUsage = false;
            if (root.TryGetProperty("stream_options"u8, out var options))
            {
                if (!stream)
                {
                    error = "The 'stream_options' parameter is only allowed when 'stream' is enabled.";
                    return null;
                }
                includeUsage = options.ValueKind == JsonValueKind.Object && options.TryGetProperty("include_usage"u8, out var usage) && usage.ValueKind == JsonValueKind.True;
            }
            error = "";
            ok = true;
            return new ChatRequest(document, model, maxTokens, stream, includeUsage, body.Length);
        }
        finally
        {
            if (!ok)
            {
                document.Dispose();
            }
        }
    }

    private static string? CheckMessages(JsonElement messages)
    {
        var pending = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var at = $"messages[{i++}]";
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role"u8, out var r) || r.ValueKind != JsonValueKind.String)
            {
                return $"Missing required parameter: '{at}.role'.";
            }
            var role = r.GetString();
            if (role == "tool")
            {
                if (!message.TryGetProperty("tool_call_id"u8, out var id) || id.ValueKind != JsonValueKind.String || !pending.Remove(id.GetString()!))
                {
                    return $"Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'. ({at})";
                }
                if (!message.TryGetProperty("content"u8, out var c) || c.ValueKind != JsonValueKind.String)
                {
                    return $"Invalid type for '{at}.content': expected a string.";
                }
                continue;
            }
            if (pending.Count > 0)
            {
                return $"An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: {string.Join(", ", pending)}";
            }
            switch (role)
            {
                case "system" or "developer" or "user":
                    if (CheckContent(message, at) is { } bad)
                    {
                        return bad;
                    }
                    break;
                case "assistant":
                    if (message.TryGetProperty("tool_calls"u8, out var calls) && calls.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var call in calls.EnumerateArray())
                        {
                            if (!call.TryGetProperty("id"u8, out var id) || id.ValueKind != JsonValueKind.String
                                || !call.TryGetProperty("function"u8, out var f) || !f.TryGetProperty("arguments"u8, out var args)
                                || args.ValueKind != JsonValueKind.String || !f.TryGetProperty("name"u8, out _))
                            {
                                return $"Invalid '{at}.tool_calls': each needs id, function.name and function.arguments (a string).";
                            }
                            pending.Add(id.GetString()!);
                        }
                    }
                    else if (CheckContent(message, at) is { } badAssistant)
                    {
                        return badAssistant;
                    }
                    break;
                default:
                    return $"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'tool', 'developer'. ({at}.role)";
            }
        }
        return pending.Count > 0
            ? $"An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: {string.Join(", ", pending)}"
            : null;
    }

    private static string? CheckContent(JsonElement message, string at)
    {
        if (!message.TryGetProperty("content"u8, out var content) || content.ValueKind == JsonValueKind.String)
        {
            return null;
        }
        if (content.ValueKind != JsonValueKind.Array)
        {
            return $"Invalid type for '{at}.content': expected one of a string or an array of objects.";
        }
        foreach (var part in content.EnumerateArray())
        {
            var type = part.TryGetProperty("type"u8, out var t) ? t.GetString() : null;
            if (type == "text" && part.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
            {
                continue;
            }
            if (type == "image_url" && part.TryGetProperty("image_url"u8, out var image) && image.TryGetProperty("url"u8, out var url)
                && url.GetString() is { } u && (u.StartsWith("https://", StringComparison.Ordinal) || u.StartsWith("http://", StringComparison.Ordinal) || u.StartsWith("data:image/", StringComparison.Ordinal)))
            {
                continue;
            }
            return $"Invalid content part in '{at}.content': type '{type}'.";
        }
        return null;
    }

    private static string? CheckTools(JsonElement tools)
    {
        if (tools.ValueKind != JsonValueKind.Array)
        {
            return "Invalid type for 'tools': expected an array.";
        }
        foreach (var tool in tools.EnumerateArray())
        {
            if (!tool.TryGetProperty("type"u8, out var type) || !type.ValueEquals("function"u8)
                || !tool.TryGetProperty("function"u8, out var f) || !f.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String)
            {
                return "Invalid 'tools': each tool must be {\"type\":\"function\",\"function\":{\"name\":...}}.";
            }
        }
        return null;
    }

    public void Dispose() => _document.Dispose();
}
