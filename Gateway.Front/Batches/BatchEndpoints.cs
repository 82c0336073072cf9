using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Front.Admission;
using Gateway.Front.Auth;
using Gateway.Front.Envelope;
using Gateway.Front.Errors;
using Gateway.Front.Metrics;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Pricing;
using Gateway.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Batches;

/// <summary>
/// <c>/v1/messages/batches*</c> with virtual keys: a batch is created only when every request's model
/// is allowed, the key admits it and its worst-case cost at the batch price fits the budget (held until
/// it is settled); its owner is recorded, and a team sees, reads, cancels and deletes only its own
/// batches: any other id gets the same 404 as an id that never existed. Without virtual keys these
/// routes are not mapped and batches pass through unchanged.
/// </summary>
public static class BatchEndpoints
{
    public const string Path = "/v1/messages/batches";

    private const int DefaultPageSize = 20;

    /// <summary>Largest limit accepted, as upstream.</summary>
    private const int MaxPageSize = 1000;

    /// <summary>
    /// Most items served per page: each is one upstream GET on the shared credentials, so a larger limit is
    /// answered with this many and <c>has_more</c> (clients page on, as they do upstream).
    /// </summary>
    private const int MaxServedPageSize = 100;

    /// <summary>Upstream GETs in flight at once while refreshing a list page.</summary>
    private const int ListParallelism = 8;

    public static IEndpointRouteBuilder MapBatchEndpoints(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetService<BatchSettlement>() is null)
        {
            return app;
        }
        var batches = app.MapGroup(Path).AddEndpointFilter(CountedInFlight).AddEndpointFilter(UpstreamUnreachable);
        batches.MapPost("", CreateAsync);
        batches.MapGet("", ListAsync);
        batches.MapGet("/{id}", RetrieveAsync);
        batches.MapDelete("/{id}", DeleteAsync);
        batches.MapGet("/{id}/results", ResultsAsync);
        batches.MapPost("/{id}/cancel", CancelAsync);
        app.MapMethods(Path, ["PUT", "PATCH", "DELETE"], context => MethodNotAllowed(context, "GET, POST"));
        app.MapMethods(Path + "/{id}", ["POST", "PUT", "PATCH"], context => MethodNotAllowed(context, "GET, DELETE"));
        app.MapMethods(Path + "/{id}/results", ["POST", "PUT", "PATCH", "DELETE"], context => MethodNotAllowed(context, "GET"));
        app.MapMethods(Path + "/{id}/cancel", ["GET", "PUT", "PATCH", "DELETE"], context => MethodNotAllowed(context, "POST"));
        return app;
    }

    private static async Task CreateAsync(HttpContext context, ICallerAuthentication auth, IOptions<GatewayOptions> gateway,
        IOptions<BatchOptions> options, IOptions<AdmissionOptions> admission, LeaseBook leases, PriceTable prices, BatchUpstream upstream,
        IBatchStore store, IGrainFactory grains, TimeProvider time, ILogger<BatchSettlement> logger)
    {
        if (await AuthenticateAsync(context, auth) is not { } key)
        {
            return;
        }
        using var body = await RequestBodyReader.ReadOrRefuseAsync(context, gateway.Value.MaxRequestBodyBytes);
        if (body is null)
        {
            return;
        }
        if (BatchScan.TryRead(body.Span, options.Value.MaxRequests, out var error) is not { } scan)
        {
            FrontMetrics.Rejected("invalid_request");
            await GatewayError.InvalidRequest(context, error);
            return;
        }
        // Checked for every request before anything is admitted or forwarded.
        if (scan.Models.FirstOrDefault(m => !ModelPattern.AnyMatches(key.AllowedModels, m)) is { } forbidden)
        {
            FrontMetrics.Rejected("permission");
            await GatewayError.WriteAsync(context, StatusCodes.Status403Forbidden, AnthropicErrorTypes.Permission,
                $"This API key may not use model '{forbidden}' (requested in this batch). Allowed: {string.Join(", ", key.AllowedModels)}.");
            return;
        }

        // One admission per batch, from the request bucket: batch requests run upstream over hours and do
        // not count against the Messages per-minute limits there, so per-request token admission would
        // only refuse large batches; what bounds a batch is its cost, held against the budget below.
        Admission.Admission admitted;
        try
        {
            admitted = await leases.AdmitAsync(key, 0, 0);
        }
        catch (Exception)
        {
            await Unavailable(context, "The gateway's rate-limit service is unavailable; retry shortly.");
            return;
        }
        if (!admitted.Admitted)
        {
            await AdmissionRejection.WriteAsync(context, admitted);
            return;
        }

        var reserve = WorstCase(scan, prices, options.Value.PriceMultiplier, admission.Value.BytesPerInputToken);
        if (reserve < 0)
        {
            // Cannot happen with bounded max_tokens and a sane price table; a negative hold would be a credit.
            await GatewayError.InvalidRequest(context, "The batch's worst-case cost cannot be computed; lower max_tokens.");
            return;
        }
        var grain = grains.GetGrain<IApiKeyGrain>(key.KeyId);
        var provisional = BatchIds.ProvisionalHold();
        LeaseDenial? denial;
        try
        {
            // Lapses by itself if this front dies before it moves or releases it.
            denial = await grain.HoldAsync(new BatchBudgetHold
            {
                HoldId = provisional,
                Usd = reserve,
                ExpiresAt = time.GetUtcNow() + options.Value.UpstreamTimeout + TimeSpan.FromMinutes(1),
            });
        }
        catch (ArgumentOutOfRangeException)
        {
            // The grain refuses a negative hold.
            await GatewayError.InvalidRequest(context, "The batch's worst-case cost cannot be held; lower max_tokens.");
            return;
        }
        catch (Exception)
        {
            await Unavailable(context, "The gateway's budget service is unavailable; retry shortly.");
            return;
        }
        if (denial is not null)
        {
            await AdmissionRejection.WriteAsync(context, Admission.Admission.Deny(key, admitted.Snapshot, denial));
            return;
        }

        var held = true;
        try
        {
            if (upstream.ProviderFor(scan.Models[0], key.TeamId) is not { } provider || BatchUpstream.PickCredential(provider) is not { } credential)
            {
                await Unavailable(context, "No upstream key is configured for Message Batches.");
                return;
            }
            // Not canceled with the client: a batch the upstream created must be recorded (and billed) whoever left.
            using var response = await upstream.SendAsync(provider, credential, HttpMethod.Post, Path + context.Request.QueryString,
                context.Request, body.Memory, CancellationToken.None);
            var bytes = await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
            if (!response.IsSuccessStatusCode)
            {
                await RelayAsync(context, response, bytes);
                return;
            }
            if (BatchState.TryRead(bytes) is not { } created || !BatchIds.IsWellFormed(created.Id))
            {
                await GatewayError.WriteAsync(context, StatusCodes.Status502BadGateway, AnthropicErrorTypes.Api,
                    "The upstream API answered the batch creation with something that is not a message_batch object.");
                return;
            }
            var record = new BatchRecord
            {
                BatchId = created.Id,
                KeyId = key.KeyId,
                TeamId = key.TeamId,
                BillingTag = key.BillingTag,
                Provider = provider.Name,
                UpstreamKeyId = credential.Id,
                RequestCount = scan.RequestCount,
                ReservedUsd = reserve,
                Status = created.ProcessingStatus,
                CreatedAt = time.GetUtcNow(),
            };
            try
            {
                await store.InsertAsync(record);
                // The row now holds the amount durably; the grain's hold takes the batch's id.
                await grain.HoldAsync(new BatchBudgetHold { HoldId = created.Id, Usd = reserve, Replaces = provisional });
                held = false;
            }
            catch (Exception e)
            {
                // A batch nobody owns would run unbilled: stop it, and tell the client nothing was created.
                BatchLog.OwnerNotRecorded(logger, created.Id, e.Message);
                try
                {
                    using var _ = await upstream.SendAsync(provider, credential, HttpMethod.Post, $"{Path}/{created.Id}/cancel", null, null, CancellationToken.None);
                }
                catch (Exception)
                {
                    // Logged above; an operator can find it upstream.
                }
                await Unavailable(context, "The gateway could not record the batch; it was canceled. Retry shortly.");
                return;
            }
            await WriteBatchAsync(context, response, bytes);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await GatewayError.WriteAsync(context, StatusCodes.Status502BadGateway, AnthropicErrorTypes.Api,
                "The upstream API could not be reached to create the batch.", TimeSpan.FromSeconds(1), shouldRetry: true);
        }
        finally
        {
            if (held)
            {
                // Nothing was created (or it was canceled at once): the reservation goes back.
                try
                {
                    await grain.ReleaseHoldAsync(provisional);
                }
                catch (Exception)
                {
                    // A provisional hold lives only in the grain's memory: it goes with its next activation.
                }
            }
        }
    }

    /// <summary>Worst case at the batch price: input estimated from each request's params bytes as admission does, output = max_tokens.</summary>
    internal static decimal WorstCase(BatchScan scan, PriceTable prices, decimal multiplier, double bytesPerInputToken)
    {
        decimal total = 0;
        foreach (var (model, demand) in scan.Demand)
        {
            var input = (long)Math.Ceiling(demand.ParamsBytes / bytesPerInputToken);
            total += prices.Cost(model, input, demand.MaxTokens, 0, 0);
        }
        return Math.Round(total * multiplier, 8, MidpointRounding.AwayFromZero);
    }

    private static async Task ListAsync(HttpContext context, ICallerAuthentication auth, RequestAdmission admission, BatchUpstream upstream,
        IBatchStore store, BatchSettlement settlement)
    {
        // Every read costs the key one request: it makes upstream calls on the shared credentials.
        if (await AuthenticateAsync(context, auth) is not { } key || !await admission.AdmitRequestAsync(context, key))
        {
            return;
        }
        var query = context.Request.Query;
        var limit = DefaultPageSize;
        if (query.TryGetValue("limit", out var text)
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxPageSize))
        {
            await GatewayError.InvalidRequest(context, $"limit: must be an integer from 1 to {MaxPageSize}.");
            return;
        }
        limit = Math.Min(limit, MaxServedPageSize);
        var before = (string?)query["before_id"];
        var after = (string?)query["after_id"];
        if ((before is { Length: > 0 } && !BatchIds.IsWellFormed(before)) || (after is { Length: > 0 } && !BatchIds.IsWellFormed(after)))
        {
            await GatewayError.InvalidRequest(context, "before_id and after_id must be batch ids.");
            return;
        }
        // The page comes from the team's own rows, never from the upstream's list (the whole organisation's).
        var rows = await store.ListByTeamAsync(key.TeamId, limit, before is { Length: > 0 } ? before : null, after is { Length: > 0 } ? after : null);
        var hasMore = rows.Count > limit;
        var page = before is { Length: > 0 } ? rows.Skip(Math.Max(0, rows.Count - limit)).ToList() : rows.Take(limit).ToList();

        var items = new JsonNode?[page.Count];
        var gatewayBase = ResultsUrl.GatewayBase(context.Request);
        await Parallel.ForEachAsync(Enumerable.Range(0, page.Count), new ParallelOptions { MaxDegreeOfParallelism = ListParallelism, CancellationToken = context.RequestAborted },
            async (i, ct) => items[i] = await RefreshAsync(page[i], upstream, settlement, gatewayBase, ct));

        var data = new JsonArray();
        string? first = null, last = null;
        for (var i = 0; i < items.Length; i++)
        {
            if (items[i] is { } item)
            {
                data.Add(item);
                first ??= page[i].BatchId;
                last = page[i].BatchId;
            }
        }
        var json = new JsonObject { ["data"] = data, ["has_more"] = hasMore, ["first_id"] = first, ["last_id"] = last };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json.ToJsonString(), context.RequestAborted);
    }

    /// <summary>One list item as the upstream has it now (null when it is gone upstream).</summary>
    private static async Task<JsonNode?> RefreshAsync(BatchRecord row, BatchUpstream upstream, BatchSettlement settlement, string gatewayBase, CancellationToken ct)
    {
        if (upstream.Resolve(row.Provider, row.UpstreamKeyId) is not var (provider, credential))
        {
            return null;
        }
        using var response = await upstream.SendAsync(provider, credential, HttpMethod.Get, $"{Path}/{row.BatchId}", null, null, ct);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        if (BatchState.TryRead(bytes) is { } state)
        {
            settlement.Notice(row, state);
        }
        return ResultsUrl.Rewrite(JsonNode.Parse(bytes), gatewayBase);
    }

    private static async Task RetrieveAsync(HttpContext context, string id, ICallerAuthentication auth, RequestAdmission admission,
        BatchUpstream upstream, IBatchStore store, BatchSettlement settlement)
    {
        if (await OwnedAsync(context, id, auth, admission, store) is not { } row || await CredentialAsync(context, row, upstream) is not var (provider, credential))
        {
            return;
        }
        using var response = await upstream.SendAsync(provider, credential, HttpMethod.Get, $"{Path}/{id}", context.Request, null, context.RequestAborted);
        var bytes = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
        if (response.IsSuccessStatusCode && BatchState.TryRead(bytes) is { } state)
        {
            settlement.Notice(row, state);
            await WriteBatchAsync(context, response, bytes);
            return;
        }
        await RelayAsync(context, response, bytes);
    }

    private static async Task CancelAsync(HttpContext context, string id, ICallerAuthentication auth, RequestAdmission admission,
        BatchUpstream upstream, IBatchStore store)
    {
        if (await OwnedAsync(context, id, auth, admission, store) is not { } row || await CredentialAsync(context, row, upstream) is not var (provider, credential))
        {
            return;
        }
        using var response = await upstream.SendAsync(provider, credential, HttpMethod.Post, $"{Path}/{id}/cancel", context.Request, null, context.RequestAborted);
        var bytes = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
        if (response.IsSuccessStatusCode)
        {
            await WriteBatchAsync(context, response, bytes);
            return;
        }
        await RelayAsync(context, response, bytes);
    }

    private static async Task ResultsAsync(HttpContext context, string id, ICallerAuthentication auth, RequestAdmission admission,
        BatchUpstream upstream, IBatchStore store, BatchSettlement settlement)
    {
        if (await OwnedAsync(context, id, auth, admission, store) is not { } row || await CredentialAsync(context, row, upstream) is not var (provider, credential))
        {
            return;
        }
        using var response = await upstream.SendAsync(provider, credential, HttpMethod.Get, $"{Path}/{id}/results", context.Request, null, context.RequestAborted);
        if (response.IsSuccessStatusCode && row.SettledAt is null)
        {
            // Results exist only once the batch has ended.
            settlement.Notice(row, new BatchState(id, "ended", null, null));
        }
        context.Response.StatusCode = (int)response.StatusCode;
        CopyHeaders(context, response);
        await using var stream = await response.Content.ReadAsStreamAsync(context.RequestAborted);
        await stream.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    private static async Task DeleteAsync(HttpContext context, string id, ICallerAuthentication auth, RequestAdmission admission,
        BatchUpstream upstream, IBatchStore store, BatchSettlement settlement, TimeProvider time)
    {
        if (await OwnedAsync(context, id, auth, admission, store) is not { } row || await CredentialAsync(context, row, upstream) is not var (provider, credential))
        {
            return;
        }
        // Deleting takes the results with it: an ended batch is settled first, or not deleted.
        if (row.SettledAt is null)
        {
            bool settled;
            try
            {
                settled = await settlement.SettleAsync(row);
            }
            catch (Exception)
            {
                settled = false;
            }
            // Another front may have settled it meanwhile.
            if (!settled && (await store.FindAsync(id))?.SettledAt is null)
            {
                // Never deleted upstream unsettled: the results would be gone and the batch could only be
                // charged its worst case. A batch known to be running is refused as upstream refuses it;
                // anything else (ended but not charged yet, or the check itself failed) is retried.
                using var check = await upstream.SendAsync(provider, credential, HttpMethod.Get, $"{Path}/{id}", context.Request, null, context.RequestAborted);
                var state = check.IsSuccessStatusCode ? BatchState.TryRead(await check.Content.ReadAsByteArrayAsync(context.RequestAborted)) : null;
                if (state is { HasEnded: false })
                {
                    await GatewayError.InvalidRequest(context, $"Batch {id} cannot be deleted while it is in progress; cancel it first.");
                    return;
                }
                await Unavailable(context, "The batch's usage could not be charged yet, so it was not deleted; retry shortly.");
                return;
            }
        }
        using var response = await upstream.SendAsync(provider, credential, HttpMethod.Delete, $"{Path}/{id}", context.Request, null, context.RequestAborted);
        var bytes = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
        if (response.IsSuccessStatusCode)
        {
            await store.MarkDeletedAsync(id, time.GetUtcNow());
        }
        await RelayAsync(context, response, bytes);
    }

    private static async ValueTask<KeyDescriptor?> AuthenticateAsync(HttpContext context, ICallerAuthentication auth)
    {
        var (ok, key) = await auth.AuthenticateAsync(context);
        return ok ? key : null;
    }

    /// <summary>
    /// The caller's batch, or null after writing a 404 that reads the same for an id that does not exist,
    /// is malformed, was deleted, or belongs to another team.
    /// </summary>
    private static async ValueTask<BatchRecord?> OwnedAsync(HttpContext context, string id, ICallerAuthentication auth, RequestAdmission admission,
        IBatchStore store)
    {
        // Admitted before the lookup: every read costs the key one request, a probe for others' ids included.
        if (await AuthenticateAsync(context, auth) is not { } key || !await admission.AdmitRequestAsync(context, key))
        {
            return null;
        }
        var row = BatchIds.IsWellFormed(id) ? await store.FindAsync(id) : null;
        if (row is null || row.TeamId != key.TeamId || row.DeletedAt is not null)
        {
            FrontMetrics.Rejected("not_found");
            await GatewayError.WriteAsync(context, StatusCodes.Status404NotFound, AnthropicErrorTypes.NotFound,
                $"No batch found with id '{(id.Length <= BatchIds.MaxLength ? id : id[..BatchIds.MaxLength] + "…")}'.");
            return null;
        }
        return row;
    }

    private static async ValueTask<(Upstreams.UpstreamProvider, Upstreams.UpstreamCredential)?> CredentialAsync(HttpContext context, BatchRecord row,
        BatchUpstream upstream)
    {
        if (upstream.Resolve(row.Provider, row.UpstreamKeyId) is { } found)
        {
            return found;
        }
        await Unavailable(context, "The upstream key this batch was created with is no longer configured.");
        return null;
    }

    /// <summary>A batch object from the upstream, its <c>results_url</c> pointed at the gateway.</summary>
    private static async Task WriteBatchAsync(HttpContext context, HttpResponseMessage response, byte[] bytes)
    {
        var node = ResultsUrl.Rewrite(JsonNode.Parse(bytes), ResultsUrl.GatewayBase(context.Request));
        context.Response.StatusCode = (int)response.StatusCode;
        CopyHeaders(context, response);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(node?.ToJsonString() ?? "null", context.RequestAborted);
    }

    /// <summary>The upstream's answer as it came (errors unmodified: clients match their wording).</summary>
    private static async Task RelayAsync(HttpContext context, HttpResponseMessage response, byte[] bytes)
    {
        context.Response.StatusCode = (int)response.StatusCode;
        CopyHeaders(context, response);
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    /// <summary>Content type, request id and back-off hints; never the upstream organisation's rate-limit or id headers.</summary>
    private static void CopyHeaders(HttpContext context, HttpResponseMessage response)
    {
        if (response.Content.Headers.ContentType is { } type)
        {
            context.Response.ContentType = type.ToString();
        }
        foreach (var name in (string[])["request-id", "retry-after", "x-should-retry"])
        {
            if (response.Headers.TryGetValues(name, out var values))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }
    }

    /// <summary>
    /// Every batch call (most ask the upstream about the batch) counts in <c>gateway_requests_in_flight</c>
    /// until its answer, results download included, has been written.
    /// </summary>
    private static async ValueTask<object?> CountedInFlight(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        using var inFlight = FrontMetrics.InFlight(BatchSettlement.Endpoint);
        return await next(invocation);
    }

    /// <summary>
    /// What is known to have failed gets its true answer instead of a bare 500: an upstream that cannot be
    /// reached (or times out) or answers with something that is not JSON, Anthropic's 502; the batch store
    /// down, a 503 to retry.
    /// </summary>
    private static async ValueTask<object?> UpstreamUnreachable(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        try
        {
            return await next(invocation);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            await GatewayError.WriteAsync(context, StatusCodes.Status502BadGateway, AnthropicErrorTypes.Api,
                "The upstream API could not be reached about this batch.", TimeSpan.FromSeconds(1), shouldRetry: true);
            return Results.Empty;
        }
        catch (JsonException) when (!context.Response.HasStarted)
        {
            // Only upstream bodies are parsed as JSON here (the client's body goes through BatchScan).
            await GatewayError.WriteAsync(context, StatusCodes.Status502BadGateway, AnthropicErrorTypes.Api,
                "The upstream API answered about this batch with something that is not JSON.", TimeSpan.FromSeconds(1), shouldRetry: true);
            return Results.Empty;
        }
        catch (DbException) when (!context.Response.HasStarted)
        {
            await Unavailable(context, "The gateway's batch store is unavailable; retry shortly.");
            return Results.Empty;
        }
    }

    private static Task Unavailable(HttpContext context, string message) =>
        GatewayError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, AnthropicErrorTypes.Overloaded, message,
            TimeSpan.FromSeconds(1), shouldRetry: true);

    private static Task MethodNotAllowed(HttpContext context, string allow)
    {
        context.Response.Headers.Allow = allow;
        return GatewayError.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, AnthropicErrorTypes.InvalidRequest,
            $"Method {context.Request.Method} is not allowed on {context.Request.Path}; use {allow}.");
    }
}
