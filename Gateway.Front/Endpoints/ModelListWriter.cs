using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Gateway.Front.Errors;
using Gateway.Front.Routing;

namespace Gateway.Front.Endpoints;

/// <summary>
/// Writes a model list the routing table answered in Anthropic's shape:
/// <c>{"data":[{"type":"model","id","display_name","created_at"}],"has_more","first_id","last_id"}</c>, with
/// Anthropic's paging (<c>limit</c> 1–1000, default 20; <c>after_id</c>, <c>before_id</c>).
/// </summary>
internal static class ModelListWriter
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 1000;

    public static Task WriteListAsync(HttpContext context, List<ListedModel> models)
    {
        var query = context.Request.Query;
        var limit = DefaultLimit;
        if (query.TryGetValue("limit", out var text)
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return GatewayError.InvalidRequest(context, "limit: Input should be an integer between 1 and 1000");
        }
        int from = 0, to = models.Count;
        if (query.TryGetValue("after_id", out var after) && models.FindIndex(m => m.Id == after) is var a and >= 0)
        {
            from = a + 1;
        }
        if (query.TryGetValue("before_id", out var before) && models.FindIndex(m => m.Id == before) is var b and >= 0)
        {
            to = b;
            from = Math.Max(from, to - limit);
        }
        var end = Math.Min(to, from + limit);

        var buffer = new ArrayBufferWriter<byte>(256 + 128 * Math.Max(0, end - from));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("data"u8);
            for (var i = from; i < end; i++)
            {
                WriteModel(json, models[i]);
            }
            json.WriteEndArray();
            json.WriteBoolean("has_more"u8, end < to);
            WriteIdOrNull(json, "first_id"u8, end > from ? models[from].Id : null);
            WriteIdOrNull(json, "last_id"u8, end > from ? models[end - 1].Id : null);
            json.WriteEndObject();
        }
        return WriteAsync(context, buffer);
    }

    public static Task WriteOneAsync(HttpContext context, ListedModel model)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteModel(json, model);
        }
        return WriteAsync(context, buffer);
    }

    private static void WriteModel(Utf8JsonWriter json, ListedModel model)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "model"u8);
        json.WriteString("id"u8, model.Id);
        json.WriteString("display_name"u8, model.DisplayName);
        json.WriteString("created_at"u8, model.CreatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        json.WriteEndObject();
    }

    private static void WriteIdOrNull(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? id)
    {
        if (id is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, id);
        }
    }

    private static async Task WriteAsync(HttpContext context, ArrayBufferWriter<byte> buffer)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.Headers[GatewayError.RequestIdHeader] = GatewayError.NewRequestId();
        Admission.TenantResponseHeaders.ApplyTo(context);
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
