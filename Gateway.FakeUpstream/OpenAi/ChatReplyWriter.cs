using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace Gateway.FakeUpstream.OpenAi;

/// <summary>
/// Writes a Chat reply: as a <c>chat.completion</c> JSON body, or as <c>chat.completion.chunk</c> SSE
/// lines (role, content or tool-call argument fragments, the finish_reason, the usage chunk when
/// <c>stream_options.include_usage</c> asked for it, then <c>[DONE]</c>), each flushed on its own and
/// separated by <see cref="FakeUpstreamOptions.EventDelayMs"/>.
/// </summary>
internal sealed class ChatReplyWriter : IAsyncDisposable
{
    private readonly HttpContext _ctx;
    private readonly PipeWriter _pipe;
    private readonly Utf8JsonWriter _json;
    private readonly FakeUpstreamOptions _options;
    private readonly ChatReply _reply;
    private readonly CancellationToken _ct;
    private readonly long _created;
    private bool _first = true;

    private ChatReplyWriter(HttpContext ctx, FakeUpstreamOptions options, ChatReply reply)
    {
        _ctx = ctx;
        _pipe = ctx.Response.BodyWriter;
        _json = new Utf8JsonWriter(_pipe, FakeJson.Options);
        _options = options;
        _reply = reply;
        _ct = ctx.RequestAborted;
        _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }

    public static async Task StreamAsync(HttpContext ctx, FakeUpstreamOptions options, ChatReply reply, bool includeUsage, FaultPlan fault)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-cache";
        await using var writer = new ChatReplyWriter(ctx, options, reply);
        await writer.RunAsync(includeUsage, fault);
    }

    public ValueTask DisposeAsync() => _json.DisposeAsync();

    private async Task RunAsync(bool includeUsage, FaultPlan fault)
    {
        await ChunkAsync(static (w, _) => { w.WriteString("role"u8, "assistant"u8); w.WriteString("content"u8, ""u8); w.WriteNull("refusal"u8); }, 0);
        var sent = 0;
        if (_reply.IsToolUse)
        {
            for (var t = 0; t < _reply.ToolCalls.Count; t++)
            {
                var call = _reply.ToolCalls[t];
                await ChunkAsync((w, _) => ToolDelta(w, t, call.Id, call.Name, ""), 0);
                foreach (var fragment in ChatReply.Fragments(call.Arguments))
                {
                    await ChunkAsync((w, _) => ToolDelta(w, t, null, null, fragment), 0);
                    if (++sent == SseReplyWriter.DeltasBeforeFault && await StrikeAsync(fault))
                    {
                        return;
                    }
                }
            }
        }
        else
        {
            for (var i = 0; i < _reply.Text.OutputTokens; i++)
            {
                var piece = _reply.Text.Piece(i).ToString();
                if (piece.Length == 0)
                {
                    continue;
                }
                await ChunkAsync((w, _) => w.WriteString("content"u8, piece), 0);
                if (++sent == SseReplyWriter.DeltasBeforeFault && await StrikeAsync(fault))
                {
                    return;
                }
            }
        }
        if (sent < SseReplyWriter.DeltasBeforeFault && await StrikeAsync(fault))
        {
            return;
        }
        await ChunkAsync(static (_, _) => { }, 0, _reply.FinishReason);
        if (includeUsage)
        {
            await BeginAsync();
            WriteHead();
            _json.WriteStartArray("choices"u8);
            _json.WriteEndArray();
            _reply.WriteUsage(_json);
            _json.WriteEndObject();
            await EndAsync();
        }
        await BeginAsync();
        _json.Flush();
        _pipe.Write("[DONE]"u8);
        await EndAsync();
    }

    private static void ToolDelta(Utf8JsonWriter w, int index, string? id, string? name, string arguments)
    {
        w.WriteStartArray("tool_calls"u8);
        w.WriteStartObject();
        w.WriteNumber("index"u8, index);
        if (id is not null)
        {
            w.WriteString("id"u8, id);
            w.WriteString("type"u8, "function"u8);
        }
        w.WriteStartObject("function"u8);
        if (name is not null)
        {
            w.WriteString("name"u8, name);
        }
        w.WriteString("arguments"u8, arguments);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private async Task<bool> StrikeAsync(FaultPlan fault)
    {
        switch (fault.Kind)
        {
            case FaultKind.ResetMidStream:
                await Task.Delay(FaultPlan.DrainBeforeResetMs, _ct);
                SelfAbort.Abort(_ctx);
                return true;
            case FaultKind.ErrorMidStream:
                // What OpenAI sends when generation fails after the 200: an error object as a data line, then the end.
                await BeginAsync();
                _json.Flush();
                _pipe.Write(OpenAiErrors.Body("server_error", null, "The server had an error while processing your request. Sorry about that!").Span);
                await EndAsync();
                return true;
            default:
                return false;
        }
    }

    private async Task ChunkAsync(Action<Utf8JsonWriter, object?> delta, int index, string? finishReason = null)
    {
        await BeginAsync();
        WriteHead();
        _json.WriteStartArray("choices"u8);
        _json.WriteStartObject();
        _json.WriteNumber("index"u8, index);
        _json.WriteStartObject("delta"u8);
        delta(_json, null);
        _json.WriteEndObject();
        _json.WriteNull("logprobs"u8);
        if (finishReason is null)
        {
            _json.WriteNull("finish_reason"u8);
        }
        else
        {
            _json.WriteString("finish_reason"u8, finishReason);
        }

        _json.WriteEndObject();
        _json.WriteEndArray();
        _json.WriteEndObject();
        await EndAsync();
    }

    private void WriteHead()
    {
        _json.WriteStartObject();
        _json.WriteString("id"u8, _reply.Id);
        _json.WriteString("object"u8, "chat.completion.chunk"u8);
        _json.WriteNumber("created"u8, _created);
        _json.WriteString("model"u8, _reply.Model);
        _json.WriteString("system_fingerprint"u8, "fp_fake"u8);
    }

    private async ValueTask BeginAsync()
    {
        var delay = _options.EventDelayMs;
        if (!_first && delay > 0)
        {
            await Task.Delay(delay, _ct);
        }
        _first = false;
        _pipe.Write("data: "u8);
        _json.Reset(_pipe);
    }

    private ValueTask EndAsync() => SseEventEnd.WriteAsync(_json, _pipe, _ct);

    /// <summary>The non-streaming <c>chat.completion</c> body.</summary>
    public static ReadOnlyMemory<byte> Completion(ChatReply reply)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, FakeJson.Options))
        {
            json.WriteStartObject();
            json.WriteString("id"u8, reply.Id);
            json.WriteString("object"u8, "chat.completion"u8);
            json.WriteNumber("created"u8, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            json.WriteString("model"u8, reply.Model);
            json.WriteStartArray("choices"u8);
            json.WriteStartObject();
            json.WriteNumber("index"u8, 0);
            json.WriteStartObject("message"u8);
            json.WriteString("role"u8, "assistant"u8);
            if (reply.IsToolUse)
            {
                json.WriteNull("content"u8);
                json.WriteStartArray("tool_calls"u8);
                foreach (var call in reply.ToolCalls)
                {
                    json.WriteStartObject();
                    json.WriteString("id"u8, call.Id);
                    json.WriteString("type"u8, "function"u8);
                    json.WriteStartObject("function"u8);
                    json.WriteString("name"u8, call.Name);
                    json.WriteString("arguments"u8, call.Arguments);
                    json.WriteEndObject();
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            else
            {
                json.WriteString("content"u8, reply.Text.Text);
            }
            json.WriteNull("refusal"u8);
            json.WriteEndObject();
            json.WriteNull("logprobs"u8);
            json.WriteString("finish_reason"u8, reply.FinishReason);
            json.WriteEndObject();
            json.WriteEndArray();
            reply.WriteUsage(json);
            json.WriteString("system_fingerprint"u8, "fp_fake"u8);
            json.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }
}
