using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>
/// Out-of-process control of the fake, under <c>/_fake/</c> (never recorded, never faulted):
/// <list type="bullet">
/// <item><c>GET /_fake/requests</c> summary of recorded requests; <c>DELETE</c> clears them.</item>
/// <item><c>POST /_fake/faults</c> <c>{"fault":"529","count":3}</c>; <c>GET</c> lists pending; <c>DELETE</c> clears.</item>
/// <item><c>GET /_fake/options</c>; <c>POST</c> a partial update (camelCase option names).</item>
/// <item><c>DELETE /_fake/cache</c> forgets cached prompt prefixes and refills rate buckets.</item>
/// </list>
/// </summary>
internal static class FakeControlEndpoints
{
    public static void Map(WebApplication app, FakeUpstreamState state)
    {
        app.Map("/_fake/requests", ctx => RequestsAsync(ctx, state));
        app.Map("/_fake/faults", ctx => FaultsAsync(ctx, state));
        app.Map("/_fake/options", ctx => OptionsAsync(ctx, state));
        app.Map("/_fake/cache", ctx => CacheAsync(ctx, state));
    }

    private static Task RequestsAsync(HttpContext ctx, FakeUpstreamState state)
    {
        Stamp(ctx);
        if (HttpMethods.IsDelete(ctx.Request.Method))
        {
            state.ClearReceived();
            return Ok(ctx);
        }
        if (!HttpMethods.IsGet(ctx.Request.Method))
        {
            return MethodNotAllowed(ctx);
        }

        var received = state.Received;
        return WriteJsonAsync(ctx, json =>
        {
            json.WriteStartObject();
            json.WriteNumber("count"u8, received.Count);
            json.WriteStartArray("requests"u8);
            foreach (var r in received)
            {
                json.WriteStartObject();
                json.WriteString("method"u8, r.Method);
                json.WriteString("pathAndQuery"u8, r.PathAndQuery);
                json.WriteString("at"u8, r.At);
                json.WriteStartObject("headers"u8);
                foreach (var (name, value) in r.Headers)
                {
                    json.WriteString(name, value);
                }
                json.WriteEndObject();
                json.WriteNumber("bodyLength"u8, r.Body.Length);
                // Bodies are JSON text; invalid UTF-8 is replaced rather than failing the summary.
                json.WriteString("body"u8, Encoding.UTF8.GetString(r.Body));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    private static async Task FaultsAsync(HttpContext ctx, FakeUpstreamState state)
    {
        Stamp(ctx);
        var method = ctx.Request.Method;
        if (HttpMethods.IsDelete(method))
        {
            state.Faults.Clear();
            await Ok(ctx);
            return;
        }
        if (HttpMethods.IsPost(method))
        {
            string? fault = null;
            var count = 1;
            try
            {
                using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("fault"u8, out var f))
                {
                    // Accept "fault": 529 as well as "fault": "529".
                    fault = f.ValueKind == JsonValueKind.Number ? f.GetRawText() : f.GetString();
                }
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("count"u8, out var c))
                {
                    count = c.GetInt32();
                }
                state.Faults.Enqueue(fault!, count);
            }
            catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or FormatException)
            {
                await AnthropicErrors.WriteAsync(ctx, 400, $"expected {{\"fault\":\"<name>\",\"count\":N}}: {e.Message}");
                return;
            }
        }
        else if (!HttpMethods.IsGet(method))
        {
            await MethodNotAllowed(ctx);
            return;
        }

        var pending = state.Faults.Pending;
        await WriteJsonAsync(ctx, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("pending"u8);
            foreach (var (name, remaining) in pending)
            {
                json.WriteStartObject();
                json.WriteString("fault"u8, name);
                json.WriteNumber("remaining"u8, remaining);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    private static async Task OptionsAsync(HttpContext ctx, FakeUpstreamState state)
    {
        Stamp(ctx);
        var options = state.Options;
        if (HttpMethods.IsPost(ctx.Request.Method))
        {
            try
            {
                using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
                Apply(options, doc.RootElement);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                await AnthropicErrors.WriteAsync(ctx, 400, e.Message);
                return;
            }
        }
        else if (!HttpMethods.IsGet(ctx.Request.Method))
        {
            await MethodNotAllowed(ctx);
            return;
        }

        await WriteJsonAsync(ctx, json =>
        {
            json.WriteStartObject();
            json.WriteString("url"u8, options.Url);
            json.WriteNumber("eventDelayMs"u8, options.EventDelayMs);
            json.WriteNumber("outputTokens"u8, options.OutputTokens);
            json.WriteString("replyText"u8, options.ReplyText);
            json.WriteNumber("apiKeys"u8, options.ApiKeys.Length); // a count: never echo secrets
            json.WriteNumber("requestsPerMinutePerKey"u8, options.RequestsPerMinutePerKey);
            json.WriteNumber("maxRecordedRequests"u8, options.MaxRecordedRequests);
            json.WriteNumber("minCacheablePrefixTokens"u8, options.MinCacheablePrefixTokens);
            json.WriteEndObject();
        });
    }

    private static void Apply(FakeUpstreamOptions options, JsonElement update)
    {
        foreach (var p in update.EnumerateObject())
        {
            switch (p.Name)
            {
                case "eventDelayMs": options.EventDelayMs = p.Value.GetInt32(); break;
                case "outputTokens": options.OutputTokens = p.Value.GetInt32(); break;
                case "replyText": options.ReplyText = p.Value.GetString() ?? ""; break;
                case "apiKeys": options.ApiKeys = p.Value.EnumerateArray().Select(k => k.GetString() ?? "").ToArray(); break;
                case "requestsPerMinutePerKey": options.RequestsPerMinutePerKey = p.Value.GetInt32(); break;
                case "maxRecordedRequests": options.MaxRecordedRequests = p.Value.GetInt32(); break;
                case "minCacheablePrefixTokens": options.MinCacheablePrefixTokens = p.Value.GetInt32(); break;
                default: throw new InvalidOperationException($"unknown or read-only option '{p.Name}'");
            }
        }
    }

    private static Task CacheAsync(HttpContext ctx, FakeUpstreamState state)
    {
        Stamp(ctx);
        if (!HttpMethods.IsDelete(ctx.Request.Method))
        {
            return MethodNotAllowed(ctx);
        }
        state.ClearPromptCache();
        state.ClearRateLimits();
        return Ok(ctx);
    }

    private static void Stamp(HttpContext ctx) => ctx.Response.Headers[FakeUpstreamHeaders.RequestId] = FakeIds.Request();

    private static Task Ok(HttpContext ctx) => WriteJsonAsync(ctx, json =>
    {
        json.WriteStartObject();
        json.WriteBoolean("ok"u8, true);
        json.WriteEndObject();
    });

    private static Task MethodNotAllowed(HttpContext ctx) =>
        AnthropicErrors.WriteAsync(ctx, 405, "invalid_request_error", "Method Not Allowed");

    private static Task WriteJsonAsync(HttpContext ctx, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, FakeJson.Options))
        {
            write(json);
        }
        return JsonResponse.WriteAsync(ctx, 200, buffer.WrittenMemory);
    }
}
