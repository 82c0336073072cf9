using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>
/// The models the fake knows, for <c>GET /v1/models</c> (Claude Code discovers models with
/// <c>?limit=1000</c> and a 3 s timeout) and <c>GET /v1/models/{id}</c>. Newest first, as Anthropic lists them.
/// </summary>
internal static class ModelCatalog
{
    public sealed record Model(string Id, string DisplayName, string CreatedAt)
    {
        /// <summary>The alias without the date suffix, e.g. claude-sonnet-4-5.</summary>
        public string Alias => Id[..Id.LastIndexOf('-')];
    }

    public static readonly Model[] All =
    [
        new("claude-opus-4-5-20251101", "Claude Opus 4.5", "2025-11-01T00:00:00Z"),
        new("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-01T00:00:00Z"),
        new("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"),
        new("claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05T00:00:00Z"),
        new("claude-opus-4-20250514", "Claude Opus 4", "2025-05-14T00:00:00Z"),
        new("claude-sonnet-4-20250514", "Claude Sonnet 4", "2025-05-14T00:00:00Z"),
        new("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z"),
    ];

    public static Model? Find(string id) =>
        Array.Find(All, m => m.Id == id) ?? Array.Find(All, m => m.Alias == id);

    public static Task ListAsync(HttpContext ctx, FaultPlan fault)
    {
        var query = ctx.Request.Query;
        var limit = 20;
        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > 1000))
        {
            return AnthropicErrors.WriteAsync(ctx, 400, "limit: Input should be an integer between 1 and 1000");
        }

        // Cursor paging as in the real API: after_id pages forward, before_id pages backward.
        int from = 0, to = All.Length;
        if (query.TryGetValue("after_id", out var after) && Array.FindIndex(All, m => m.Id == after) is var a and >= 0)
        {
            from = a + 1;
        }
        if (query.TryGetValue("before_id", out var before) && Array.FindIndex(All, m => m.Id == before) is var b and >= 0)
        {
            to = b;
            from = Math.Max(from, to - limit);
        }
        var end = Math.Min(to, from + limit);

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, FakeJson.Options))
        {
            json.WriteStartObject();
            json.WriteStartArray("data"u8);
            for (var i = from; i < end; i++)
            {
                Write(json, All[i]);
            }
            json.WriteEndArray();
            // Paging backward, "more" lies before the page; forward, after it.
            json.WriteBoolean("has_more"u8, query.ContainsKey("before_id") ? from > 0 : end < to);
            if (end > from)
            {
                json.WriteString("first_id"u8, All[from].Id);
                json.WriteString("last_id"u8, All[end - 1].Id);
            }
            else
            {
                json.WriteNull("first_id"u8);
                json.WriteNull("last_id"u8);
            }
            json.WriteEndObject();
        }
        return JsonResponse.WriteReplyAsync(ctx, buffer.WrittenMemory, fault);
    }

    public static Task GetAsync(HttpContext ctx, string id, FaultPlan fault)
    {
        if (Find(id) is not { } model)
        {
            return AnthropicErrors.WriteAsync(ctx, 404, $"model: {id}");
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, FakeJson.Options))
        {
            Write(json, model);
        }
        return JsonResponse.WriteReplyAsync(ctx, buffer.WrittenMemory, fault);
    }

    private static void Write(Utf8JsonWriter json, Model model)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "model"u8);
        json.WriteString("id"u8, model.Id);
        json.WriteString("display_name"u8, model.DisplayName);
        json.WriteString("created_at"u8, model.CreatedAt);
        json.WriteEndObject();
    }
}
