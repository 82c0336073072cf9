using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>
/// Streams a reply as Anthropic's SSE events: message_start, content_block_start, ping,
/// content_block_delta×N, content_block_stop, message_delta (cumulative usage), message_stop.
/// Each event is written straight into the response pipe with one reused Utf8JsonWriter, flushed on
/// its own (one chunk per event), and separated by <see cref="FakeUpstreamOptions.EventDelayMs"/>,
/// so a test can watch a gateway pass chunks through one at a time.
/// </summary>
internal sealed class SseReplyWriter : IAsyncDisposable
{
    /// <summary>Exactly what Anthropic sends when it is overloaded after the 200 went out.</summary>
    public static ReadOnlySpan<byte> OverloadedErrorData =>
        """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"""u8;

    /// <summary>Mid-stream faults strike after this many deltas (or after all of them, if fewer).</summary>
    public const int DeltasBeforeFault = 2;

    private readonly HttpContext _ctx;
    private readonly PipeWriter _pipe;
    private readonly Utf8JsonWriter _json;
    private readonly FakeUpstreamOptions _options;
    private readonly CancellationToken _ct;
    private readonly int? _intervalMs;
    private readonly bool _stamps;
    private bool _first = true;

    private SseReplyWriter(HttpContext ctx, FakeUpstreamOptions options)
    {
        _ctx = ctx;
        _pipe = ctx.Response.BodyWriter;
        _json = new Utf8JsonWriter(_pipe, FakeJson.Options);
        _options = options;
        _ct = ctx.RequestAborted;
        var headers = ctx.Request.Headers;
        _intervalMs = int.TryParse(headers[FakeUpstreamHeaders.EventIntervalMs], out var interval) && interval >= 0 ? interval : null;
        _stamps = headers.ContainsKey(FakeUpstreamHeaders.SendStamps);
    }

    /// <summary>Throws OperationCanceledException when the client leaves mid-stream (the endpoint guard counts it).</summary>
    public static async Task WriteAsync(HttpContext ctx, FakeUpstreamOptions options, string id, string model, ReplyPlan plan, ReplyUsage usage, FaultPlan fault)
    {
        var response = ctx.Response;
        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";

        await using var writer = new SseReplyWriter(ctx, options);
        await writer.RunAsync(id, model, plan, usage, fault);
    }

    public ValueTask DisposeAsync() => _json.DisposeAsync();

    private async Task RunAsync(string id, string model, ReplyPlan plan, ReplyUsage usage, FaultPlan fault)
    {
        await MessageStartAsync(id, model, usage);
        await ContentBlockStartAsync(plan);
        await PingAsync();

        var deltas = plan.IsToolUse ? ReplyPlan.ToolInputPieces.Length : plan.OutputTokens;
        var sent = 0;
        for (var i = 0; i < deltas; i++)
        {
            if (!plan.IsToolUse && plan.Piece(i).IsEmpty)
            {
                continue;
            }
            await DeltaAsync(plan, i);
            sent++;
            if (sent == DeltasBeforeFault && await StrikeAsync(fault))
            {
                return;
            }
        }
        if (sent < DeltasBeforeFault && await StrikeAsync(fault))
        {
            return;
        }

        await ContentBlockStopAsync();
        await MessageDeltaAsync(plan);
        await MessageStopAsync();
    }

    /// <summary>Applies a mid-stream fault; true when the stream must end here.</summary>
    private async Task<bool> StrikeAsync(FaultPlan fault)
    {
        switch (fault.Kind)
        {
            case FaultKind.ResetMidStream:
                await Task.Delay(FaultPlan.DrainBeforeResetMs, _ct);
                SelfAbort.Abort(_ctx);
                return true;
            case FaultKind.StallMidStream:
                // Silent until the client leaves (which throws here, as the endpoint guard expects).
                await Task.Delay(Timeout.Infinite, _ct);
                return true;
            case FaultKind.ErrorMidStream:
                await BeginEventAsync(Events.Error);
                _pipe.Write(OverloadedErrorData);
                await EndEventAsync();
                return true;
            default:
                return false;
        }
    }

    private async Task MessageStartAsync(string id, string model, ReplyUsage usage)
    {
        await BeginEventAsync(Events.MessageStart);
        _json.WriteStartObject();
        _json.WriteString("type"u8, "message_start"u8);
        _json.WriteStartObject("message"u8);
        _json.WriteString("id"u8, id);
        _json.WriteString("type"u8, "message"u8);
        _json.WriteString("role"u8, "assistant"u8);
        _json.WriteString("model"u8, model);
        _json.WriteStartArray("content"u8);
        _json.WriteEndArray();
        _json.WriteNull("stop_reason"u8);
        _json.WriteNull("stop_sequence"u8);
        usage.Write(_json, outputTokens: 1);
        _json.WriteEndObject();
        _json.WriteEndObject();
        await EndEventAsync();
    }

    private async Task ContentBlockStartAsync(ReplyPlan plan)
    {
        await BeginEventAsync(Events.ContentBlockStart);
        _json.WriteStartObject();
        _json.WriteString("type"u8, "content_block_start"u8);
        _json.WriteNumber("index"u8, 0);
        _json.WriteStartObject("content_block"u8);
        if (plan.IsToolUse)
        {
            _json.WriteString("type"u8, "tool_use"u8);
            _json.WriteString("id"u8, plan.ToolId);
            _json.WriteString("name"u8, plan.ToolName);
            _json.WriteStartObject("input"u8);
            _json.WriteEndObject();
        }
        else
        {
            _json.WriteString("type"u8, "text"u8);
            _json.WriteString("text"u8, ""u8);
        }
        _json.WriteEndObject();
        _json.WriteEndObject();
        await EndEventAsync();
    }

    private async Task PingAsync()
    {
        await BeginEventAsync(Events.Ping);
        // Anthropic's ping really has this space; byte-exact so a pass-through test can compare.
        _pipe.Write("""{"type": "ping"}"""u8);
        await EndEventAsync();
    }

    private async Task DeltaAsync(ReplyPlan plan, int index)
    {
        await BeginEventAsync(Events.ContentBlockDelta);
        _json.WriteStartObject();
        _json.WriteString("type"u8, "content_block_delta"u8);
        _json.WriteNumber("index"u8, 0);
        _json.WriteStartObject("delta"u8);
        if (plan.IsToolUse)
        {
            _json.WriteString("type"u8, "input_json_delta"u8);
            _json.WriteString("partial_json"u8, ReplyPlan.ToolInputPieces[index]);
        }
        else
        {
            _json.WriteString("type"u8, "text_delta"u8);
            _json.WriteString("text"u8, plan.Piece(index));
        }
        _json.WriteEndObject();
        _json.WriteEndObject();
        await EndEventAsync();
    }

    private async Task ContentBlockStopAsync()
    {
        await BeginEventAsync(Events.ContentBlockStop);
        _json.WriteStartObject();
        _json.WriteString("type"u8, "content_block_stop"u8);
        _json.WriteNumber("index"u8, 0);
        _json.WriteEndObject();
        await EndEventAsync();
    }

    private async Task MessageDeltaAsync(ReplyPlan plan)
    {
        await BeginEventAsync(Events.MessageDelta);
        _json.WriteStartObject();
        _json.WriteString("type"u8, "message_delta"u8);
        _json.WriteStartObject("delta"u8);
        _json.WriteString("stop_reason"u8, plan.StopReason);
        _json.WriteNull("stop_sequence"u8);
        _json.WriteEndObject();
        // Cumulative: the total output of the whole message, not the tokens since message_start.
        _json.WriteStartObject("usage"u8);
        _json.WriteNumber("output_tokens"u8, plan.OutputTokens);
        _json.WriteEndObject();
        _json.WriteEndObject();
        await EndEventAsync();
    }

    private async Task MessageStopAsync()
    {
        await BeginEventAsync(Events.MessageStop);
        _pipe.Write("""{"type":"message_stop"}"""u8);
        await EndEventAsync();
    }

    private async ValueTask BeginEventAsync(byte[] name)
    {
        var delay = _intervalMs ?? _options.EventDelayMs;
        if (!_first && delay > 0)
        {
            await Task.Delay(delay, _ct);
        }
        _first = false;
        WriteEventHeader(name);
    }

    private void WriteEventHeader(ReadOnlySpan<byte> name)
    {
        if (_stamps)
        {
            // An SSE comment: clients and the gateway's tap skip it; a proxy passes it on like any line.
            var ns = (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));
            _pipe.Write(": sent-ns "u8);
            var span = _pipe.GetSpan(20);
            ns.TryFormat(span, out var written, provider: CultureInfo.InvariantCulture);
            _pipe.Advance(written);
            _pipe.Write("\n"u8);
        }
        _pipe.Write("event: "u8);
        _pipe.Write(name);
        _pipe.Write("\ndata: "u8);
        _json.Reset(_pipe);
    }

    private ValueTask EndEventAsync() => SseEventEnd.WriteAsync(_json, _pipe, _ct);

    /// <summary>Event names as arrays (not u8 spans) because they are used across an await.</summary>
    private static class Events
    {
        public static readonly byte[] MessageStart = "message_start"u8.ToArray();
        public static readonly byte[] ContentBlockStart = "content_block_start"u8.ToArray();
        public static readonly byte[] Ping = "ping"u8.ToArray();
        public static readonly byte[] ContentBlockDelta = "content_block_delta"u8.ToArray();
        public static readonly byte[] ContentBlockStop = "content_block_stop"u8.ToArray();
        public static readonly byte[] MessageDelta = "message_delta"u8.ToArray();
        public static readonly byte[] MessageStop = "message_stop"u8.ToArray();
        public static readonly byte[] Error = "error"u8.ToArray();
    }
}
