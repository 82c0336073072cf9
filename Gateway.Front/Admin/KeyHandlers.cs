using Gateway.Front.SelfService;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Front.Admin;

/// <summary>
/// <c>/admin/keys</c>: create (the secret is in that answer only), list, read, update, rotate (a new
/// secret, once), revoke. The store keeps only the secret's hash; each change reaches the cluster's caches.
/// </summary>
internal static class KeyHandlers
{
    public static async Task<IResult> CreateAsync(HttpContext context, [FromServices] IKeyStore store, [FromServices] ILoggerFactory loggers)
    {
        var (input, error) = await AdminRequests.ReadAsync<KeyInput>(context, AdminRequests.ParseKey, create: true);
        if (input is null)
        {
            return error!;
        }

        var scope = CallerScope.Of(context);
        if (!scope.Sees(input.TeamId.Value!))
        {
            return AdminResults.Forbidden($"A team lead creates keys in their own team only (team_id '{scope.TeamId}').");
        }
        if (scope.KeyChangeRefusal(input) is { } refusal)
        {
            return AdminResults.Forbidden(refusal);
        }

        var secret = KeySecrets.Generate();
        var newKey = new NewKey
        {
            TeamId = input.TeamId.Value!,
            Name = input.Name.Value!.Trim(),
            BillingTag = input.BillingTag.Value,
            AllowedModels = input.AllowedModels.Value ?? [],
            Limits = input.Limits.Value?.ApplyTo(KeyLimits.Unlimited) ?? KeyLimits.Unlimited,
            SessionLimits = input.SessionLimits.Value?.ApplyTo(null),
            CacheInjection = input.CacheInjection.Value,
            CacheTtl = input.CacheTtl.Value,
            OpenPaths = input.OpenPaths.Value ?? [],
        };
        KeyDescriptor key;
        try
        {
            key = await store.CreateKeyAsync(newKey, KeySecrets.Hash(secret), KeySecrets.DisplayPrefix(secret), context.RequestAborted);
        }
        catch (KeyStoreException e) when (e.Error == KeyStoreError.UnknownTeam)
        {
            return AdminResults.BadRequest($"team_id '{newKey.TeamId}' does not name a team (create it with POST {AdminEndpoints.Prefix}/teams).");
        }
        var record = await store.GetKeyAsync(key.KeyId, context.RequestAborted)
            ?? throw new InvalidOperationException($"Key {key.KeyId} vanished right after it was created.");
        AdminLog.Changed(loggers.CreateLogger(AdminLog.Category), "created key", key.KeyId);
        context.Response.Headers.Location = $"{AdminEndpoints.Prefix}/keys/{key.KeyId}";
        return AdminResults.Json(KeyResponse.From(record, secret), AdminJsonContext.Default.KeyResponse, StatusCodes.Status201Created);
    }

    public static async Task<IResult> ListAsync([FromQuery(Name = "team_id")] string? teamId, HttpContext context, [FromServices] IKeyStore store,
        CancellationToken cancellationToken)
    {
        var keys = CallerScope.Of(context).TryListFilter(teamId, out var team) ? await store.ListKeysAsync(team, cancellationToken) : [];
        return AdminResults.Json(new ListResponse<KeyResponse>(keys.Select(k => KeyResponse.From(k)).ToList()),
            AdminJsonContext.Default.ListResponseKeyResponse);
    }

    public static async Task<IResult> GetAsync(string id, HttpContext context, [FromServices] IKeyStore store, CancellationToken cancellationToken) =>
        await VisibleKeyAsync(id, context, store, cancellationToken) is { } record
            ? AdminResults.Json(KeyResponse.From(record), AdminJsonContext.Default.KeyResponse)
            : NoSuchKey(id);

    /// <summary>The key's live bucket levels and spend, from its grain (which it activates: the levels are the cluster's, not this front's).</summary>
    public static async Task<IResult> UsageAsync(string id, HttpContext context, [FromServices] IKeyStore store, [FromServices] IGrainFactory grains,
        CancellationToken cancellationToken)
    {
        if (await VisibleKeyAsync(id, context, store, cancellationToken) is not { } record)
        {
            return NoSuchKey(id);
        }
        // The same reading a key's own GET /gateway/usage shows (uncached here: the admin wants it now).
        var standing = await KeyStanding.ReadAsync(grains, record.Key, TimeProvider.System);
        return AdminResults.Json(KeyUsageResponse.From(standing), AdminJsonContext.Default.KeyUsageResponse);
    }

    /// <summary>
    /// Partial: absent fields stay; inside <c>limits</c> and <c>session_limits</c> each present field
    /// replaces its value (null: unlimited) and absent ones stay; <c>billing_tag: null</c> falls back to the team's;
    /// <c>cache_injection: null</c> and <c>cache_ttl: null</c> fall back to the gateway's defaults.
    /// </summary>
    public static async Task<IResult> UpdateAsync(string id, HttpContext context, [FromServices] IKeyStore store,
        [FromServices] KeyChangePublisher changes, [FromServices] ILoggerFactory loggers)
    {
        var (input, error) = await AdminRequests.ReadAsync<KeyInput>(context, AdminRequests.ParseKey, create: false);
        if (input is null)
        {
            return error!;
        }
        if (await VisibleKeyAsync(id, context, store, context.RequestAborted) is not { } current)
        {
            return NoSuchKey(id);
        }
        if (CallerScope.Of(context).KeyChangeRefusal(input) is { } refusal)
        {
            return AdminResults.Forbidden(refusal);
        }

        var update = new KeyUpdate
        {
            Name = input.Name.IsSet ? input.Name.Value!.Trim() : null,
            BillingTag = input.BillingTag.IsSet ? input.BillingTag.Value ?? "" : null,
            AllowedModels = input.AllowedModels.IsSet ? input.AllowedModels.Value : null,
            Limits = input.Limits.IsSet ? input.Limits.Value?.ApplyTo(current.Key.Limits) ?? KeyLimits.Unlimited : null,
            SessionLimits = input.SessionLimits.IsSet ? input.SessionLimits.Value?.ApplyTo(current.Key.SessionLimits) ?? new SessionLimits() : null,
            CacheInjection = input.CacheInjection.Value,
            ResetCacheInjection = input.CacheInjection is { IsSet: true, Value: null },
            CacheTtl = input.CacheTtl.IsSet ? input.CacheTtl.Value ?? "" : null,
            OpenPaths = input.OpenPaths.IsSet ? input.OpenPaths.Value ?? [] : null,
        };
        if (await store.UpdateKeyAsync(id, update, context.RequestAborted) is not { } updated)
        {
            return NoSuchKey(id);
        }
        AdminLog.Changed(loggers.CreateLogger(AdminLog.Category), "updated key", id);
        await changes.PublishAsync(context, id, updated.SecretHash);
        return AdminResults.Json(KeyResponse.From(updated), AdminJsonContext.Default.KeyResponse);
    }

    /// <summary>A new secret for the same key (same id, limits and spend); the old secret stops working.</summary>
    public static async Task<IResult> RotateAsync(string id, HttpContext context, [FromServices] IKeyStore store,
        [FromServices] KeyChangePublisher changes, [FromServices] ILoggerFactory loggers)
    {
        if (await VisibleKeyAsync(id, context, store, context.RequestAborted) is not { } current)
        {
            return NoSuchKey(id);
        }
        if (current.Key.Revoked)
        {
            return AdminResults.BadRequest($"Key '{id}' is revoked and cannot be rotated; create a new key instead.");
        }
        if (current.Kind == UserKeys.UserKind)
        {
            // A person's key has no secret, and must never get one: they sign in. Revoke it to end their access.
            return AdminResults.BadRequest($"Key '{id}' belongs to a signed-in user and has no secret to rotate; revoke it instead.");
        }

        var secret = KeySecrets.Generate();
        if (await store.RotateKeyAsync(id, KeySecrets.Hash(secret), KeySecrets.DisplayPrefix(secret), context.RequestAborted) is not { } oldHash)
        {
            return NoSuchKey(id);
        }
        AdminLog.Changed(loggers.CreateLogger(AdminLog.Category), "rotated key", id);
        await changes.PublishAsync(context, id, oldHash);
        var record = await store.GetKeyAsync(id, context.RequestAborted) ?? throw new InvalidOperationException($"Key {id} vanished while rotating.");
        return AdminResults.Json(KeyResponse.From(record, secret), AdminJsonContext.Default.KeyResponse);
    }

    /// <summary>Revoked for good: the key stays listed (with its usage) but no request is admitted with it. Idempotent.</summary>
    public static async Task<IResult> RevokeAsync(string id, HttpContext context, [FromServices] IKeyStore store,
        [FromServices] KeyChangePublisher changes, [FromServices] ILoggerFactory loggers)
    {
        if (await VisibleKeyAsync(id, context, store, context.RequestAborted) is null
            || await store.RevokeKeyAsync(id, context.RequestAborted) is not { } hash)
        {
            return NoSuchKey(id);
        }
        AdminLog.Changed(loggers.CreateLogger(AdminLog.Category), "revoked key", id);
        await changes.PublishAsync(context, id, hash);
        var record = await store.GetKeyAsync(id, context.RequestAborted) ?? throw new InvalidOperationException($"Key {id} vanished while revoking.");
        return AdminResults.Json(KeyResponse.From(record), AdminJsonContext.Default.KeyResponse);
    }

    /// <summary>The key when the caller may reach it; another team's key is, for a lead, a key that does not exist.</summary>
    private static async Task<KeyRecord?> VisibleKeyAsync(string id, HttpContext context, IKeyStore store, CancellationToken cancellationToken) =>
        await store.GetKeyAsync(id, cancellationToken) is { } record && CallerScope.Of(context).Sees(record.Key.TeamId) ? record : null;

    private static IResult NoSuchKey(string id) => AdminResults.NotFound($"No key with id '{id}'.");
}
