using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>
/// The Message Batches API: create, list, retrieve, results (JSONL), cancel and delete, in memory. A
/// batch belongs to the upstream key that created it (its organisation): any other key gets the same
/// 404 as for an id that never existed. It ends <see cref="FakeUpstreamOptions.BatchProcessingMs"/>
/// after creation; a canceled one ends at once with every request canceled.
/// </summary>
internal sealed class BatchesEndpoint(FakeUpstreamState state)
{
    /// <summary>Anthropic's limit on requests per batch.</summary>
    public const int MaxRequests = 100_000;

    private const int MaxCustomIdLength = 64;

    public async Task CreateAsync(HttpContext ctx, AdmittedRequest admitted)
    {
        List<FakeBatchResult> results;
        try
        {
            using var document = JsonDocument.Parse(admitted.Body);
            if (Validate(document.RootElement, out var error) is not { } requests)
            {
                await AnthropicErrors.WriteAsync(ctx, 400, error);
                return;
            }
            results = requests.Select(r => FakeBatchResult.Process(r.CustomId, Encoding.UTF8.GetBytes(r.Params.GetRawText()), state.Options)).ToList();
        }
        catch (JsonException e)
        {
            await AnthropicErrors.WriteAsync(ctx, 400, $"There was an error parsing the body of your request: {e.Message}");
            return;
        }
        var now = state.Time.GetUtcNow();
        var batch = new FakeBatch(FakeIds.Batch(), admitted.Key!, results, now, now.AddMilliseconds(Math.Max(0, state.Options.BatchProcessingMs)));
        state.Batches.Add(batch);
        await JsonResponse.WriteAsync(ctx, 200, BatchJson.Batch(batch, now, Base(ctx)));
    }

    public async Task ListAsync(HttpContext ctx, AdmittedRequest admitted)
    {
        var query = ctx.Request.Query;
        var limit = 20;
        if (query.TryGetValue("limit", out var text) && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            await AnthropicErrors.WriteAsync(ctx, 400, "limit: Input should be between 1 and 1000");
            return;
        }
        var all = state.Batches.List(admitted.Key!);
        var before = (string?)query["before_id"];
        var after = (string?)query["after_id"];
        List<FakeBatch> page;
        bool hasMore;
        if (!string.IsNullOrEmpty(before))
        {
            var at = all.FindIndex(b => b.Id == before);
            var newer = at < 0 ? [] : all.Take(at).ToList();
            page = newer.TakeLast(limit).ToList();
            hasMore = newer.Count > limit;
        }
        else
        {
            var at = string.IsNullOrEmpty(after) ? -1 : all.FindIndex(b => b.Id == after);
            var older = string.IsNullOrEmpty(after) ? all : at < 0 ? [] : all.Skip(at + 1).ToList();
            page = older.Take(limit).ToList();
            hasMore = older.Count > limit;
        }
        await JsonResponse.WriteAsync(ctx, 200, BatchJson.Page(page, hasMore, state.Time.GetUtcNow(), Base(ctx)));
    }

    public async Task RetrieveAsync(HttpContext ctx, AdmittedRequest admitted, string id)
    {
        if (await FindAsync(ctx, admitted, id) is { } batch)
        {
            await JsonResponse.WriteAsync(ctx, 200, BatchJson.Batch(batch, state.Time.GetUtcNow(), Base(ctx)));
        }
    }

    public async Task ResultsAsync(HttpContext ctx, AdmittedRequest admitted, string id)
    {
        if (await FindAsync(ctx, admitted, id) is not { } batch)
        {
            return;
        }
        if (!batch.HasEnded(state.Time.GetUtcNow()))
        {
            await AnthropicErrors.WriteAsync(ctx, 400, "invalid_request_error", $"Batch {id} has not ended yet; its results are not available.");
            return;
        }
        batch.ResultReads++;
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/binary";
        foreach (var result in batch.Results)
        {
            var line = batch.CancelInitiatedAt is null ? result.Line : result.CanceledLine();
            await ctx.Response.Body.WriteAsync(line, ctx.RequestAborted);
            await ctx.Response.Body.WriteAsync("\n"u8.ToArray(), ctx.RequestAborted);
        }
    }

    public async Task CancelAsync(HttpContext ctx, AdmittedRequest admitted, string id)
    {
        if (await FindAsync(ctx, admitted, id) is not { } batch)
        {
            return;
        }
        var now = state.Time.GetUtcNow();
        if (!batch.HasEnded(now) && batch.CancelInitiatedAt is null)
        {
            batch.CancelInitiatedAt = now;
            // Canceling takes a moment, as upstream: the batch reads "canceling" until it ends.
            batch.EndsAt = now.AddMilliseconds(Math.Min(50, Math.Max(0, (batch.EndsAt - now).TotalMilliseconds)));
        }
        await JsonResponse.WriteAsync(ctx, 200, BatchJson.Batch(batch, now, Base(ctx)));
    }

    public async Task DeleteAsync(HttpContext ctx, AdmittedRequest admitted, string id)
    {
        if (await FindAsync(ctx, admitted, id) is not { } batch)
        {
            return;
        }
        if (!batch.HasEnded(state.Time.GetUtcNow()))
        {
            await AnthropicErrors.WriteAsync(ctx, 400, "invalid_request_error", $"Batch {id} cannot be deleted while it is in progress; cancel it first.");
            return;
        }
        batch.Deleted = true;
        await JsonResponse.WriteAsync(ctx, 200, BatchJson.Deleted(batch.Id));
    }

    private async Task<FakeBatch?> FindAsync(HttpContext ctx, AdmittedRequest admitted, string id)
    {
        var batch = state.Batches.Find(id, admitted.Key!);
        if (batch is null)
        {
            await AnthropicErrors.WriteAsync(ctx, 404, "not_found_error", $"No batch found with id '{id}'.");
        }
        return batch;
    }

    private static string Base(HttpContext ctx) => $"{ctx.Request.Scheme}://{ctx.Request.Host}";

    private static List<(string CustomId, JsonElement Params)>? Validate(JsonElement root, out string error)
    {
        error = "";
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "Input should be a valid dictionary or object to extract fields from";
            return null;
        }
        if (!root.TryGetProperty("requests"u8, out var requests) || requests.ValueKind != JsonValueKind.Array)
        {
            error = "requests: Field required";
            return null;
        }
        var count = requests.GetArrayLength();
        if (count is 0 or > MaxRequests)
        {
            error = $"requests: List should have at least 1 item and at most {MaxRequests} items, not {count}";
            return null;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<(string, JsonElement)>(count);
        var index = 0;
        foreach (var request in requests.EnumerateArray())
        {
            if (request.ValueKind != JsonValueKind.Object
                || !request.TryGetProperty("custom_id"u8, out var idElement) || idElement.ValueKind != JsonValueKind.String
                || !request.TryGetProperty("params"u8, out var parameters) || parameters.ValueKind != JsonValueKind.Object)
            {
                error = $"requests.{index}: custom_id (string) and params (object) are required";
                return null;
            }
            var id = idElement.GetString()!;
            if (id.Length is 0 or > MaxCustomIdLength || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                error = $"requests.{index}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'";
                return null;
            }
            if (!seen.Add(id))
            {
                error = $"Duplicate custom_id values are not allowed in a batch: '{id}'";
                return null;
            }
            list.Add((id, parameters));
            index++;
        }
        return list;
    }
}
