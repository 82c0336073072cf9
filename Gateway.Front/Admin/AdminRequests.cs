using System.Text.Json;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;

namespace Gateway.Front.Admin;

/// <summary>A team as a request describes it (create: name required; PATCH: only what is present changes).</summary>
internal sealed record TeamInput(Field<string?> Name, Field<string?> BillingTag);

/// <summary>A key as a request describes it; absent fields are left alone by PATCH.</summary>
internal sealed record KeyInput(
    Field<string?> TeamId,
    Field<string?> Name,
    Field<string?> BillingTag,
    Field<IReadOnlyList<string>> AllowedModels,
    Field<LimitsInput?> Limits,
    Field<SessionLimitsInput?> SessionLimits,
    Field<bool?> CacheInjection,
    Field<string?> CacheTtl,
    Field<IReadOnlyList<string>> OpenPaths);

/// <summary>Limits present in a request; each present one replaces the current value (null: unlimited).</summary>
internal sealed record LimitsInput(
    Field<long?> RequestsPerMinute,
    Field<long?> InputTokensPerMinute,
    Field<long?> OutputTokensPerMinute,
    Field<int?> ConcurrentStreams,
    Field<decimal?> DailyBudgetUsd,
    Field<decimal?> MonthlyBudgetUsd)
{
    public KeyLimits ApplyTo(KeyLimits current) => new()
    {
        RequestsPerMinute = RequestsPerMinute.Or(current.RequestsPerMinute),
        InputTokensPerMinute = InputTokensPerMinute.Or(current.InputTokensPerMinute),
        OutputTokensPerMinute = OutputTokensPerMinute.Or(current.OutputTokensPerMinute),
        ConcurrentStreams = ConcurrentStreams.Or(current.ConcurrentStreams),
        DailyBudgetUsd = DailyBudgetUsd.Or(current.DailyBudgetUsd),
        MonthlyBudgetUsd = MonthlyBudgetUsd.Or(current.MonthlyBudgetUsd),
    };
}

internal sealed record SessionLimitsInput(Field<long?> MaxRequests, Field<decimal?> MaxCostUsd)
{
    /// <summary>The merged limits; a result with neither limit is returned as an empty value (the store reads it as none).</summary>
    public SessionLimits ApplyTo(SessionLimits? current) => new()
    {
        MaxRequests = MaxRequests.Or(current?.MaxRequests),
        MaxCostUsd = MaxCostUsd.Or(current?.MaxCostUsd),
    };
}

/// <summary>Reads and checks admin request bodies; every problem becomes one line of a 400's message.</summary>
internal static class AdminRequests
{
    /// <summary>Admin bodies are small; anything bigger is a mistake or an attack.</summary>
    public const long MaxBodyBytes = 64 * 1024;

    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = 8 };

    private static async Task<(JsonDocument? Body, IResult? Error)> ReadBodyAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, AdminResults.TooLarge());
        }
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = MaxBodyBytes;
        }
        try
        {
            return (await JsonDocument.ParseAsync(request.Body, s_documentOptions, context.RequestAborted), null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, AdminResults.TooLarge());
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
            return (null, AdminResults.BadRequest($"The request body is not valid JSON{where}."));
        }
    }

    /// <summary>Parses one admin body into its input record (null, with every problem in the message).</summary>
    public delegate T? Parser<T>(JsonElement body, bool create, out string error) where T : class;

    /// <summary>
    /// Reads the body and parses it: the input, or the 400/413 to answer. The inputs hold plain values,
    /// so the document is released before the handler goes on.
    /// </summary>
    public static async Task<(T? Input, IResult? Error)> ReadAsync<T>(HttpContext context, Parser<T> parse, bool create) where T : class
    {
        var (body, error) = await ReadBodyAsync(context);
        using var _ = body;
        if (error is not null)
        {
            return (null, error);
        }
        return parse(body!.RootElement, create, out var message) is { } input ? (input, null) : (null, AdminResults.BadRequest(message));
    }

    public static TeamInput? ParseTeam(JsonElement body, bool create, out string error)
    {
        var errors = new List<string>();
        TeamInput? input = null;
        if (JsonFields.Of(body, "", errors, "name", "billing_tag") is { } fields)
        {
            input = new TeamInput(
                fields.String("name", required: create, nullable: false),
                fields.String("billing_tag"));
        }
        return Result(input, errors, out error);
    }

    /// <summary><c>open_paths</c>: at most <see cref="OpenPaths.MaxCount"/> canonical <c>/v1/</c> paths (see <see cref="OpenPaths.Problem"/>).</summary>
    private static Field<IReadOnlyList<string>> ParseOpenPaths(JsonFields fields, List<string> errors)
    {
        var paths = fields.Strings("open_paths");
        if (!paths.IsSet || paths.Value is not { } list)
        {
            return paths;
        }
        var before = errors.Count;
        if (list.Count > OpenPaths.MaxCount)
        {
            errors.Add($"open_paths must have at most {OpenPaths.MaxCount} entries.");
        }
        foreach (var path in list)
        {
            if (OpenPaths.Problem(path) is { } problem)
            {
                errors.Add($"open_paths entry \"{(path.Length <= 60 ? path : path[..60] + "…")}\" {problem}.");
            }
        }
        return errors.Count == before ? paths : Field<IReadOnlyList<string>>.Absent;
    }

    public static KeyInput? ParseKey(JsonElement body, bool create, out string error)
    {
        var errors = new List<string>();
        KeyInput? input = null;
        var known = create
            ? new[] { "team_id", "name", "billing_tag", "allowed_models", "limits", "session_limits", "cache_injection", "cache_ttl", "open_paths" }
            : ["name", "billing_tag", "allowed_models", "limits", "session_limits", "cache_injection", "cache_ttl", "open_paths"];
        if (JsonFields.Of(body, "", errors, known) is { } fields)
        {
            input = new KeyInput(
                create ? fields.String("team_id", required: true, nullable: false) : Field<string?>.Absent,
                fields.String("name", required: create, nullable: false),
                fields.String("billing_tag"),
                fields.Strings("allowed_models"),
                ParseLimits(fields),
                ParseSessionLimits(fields),
                fields.Bool("cache_injection"),
                fields.OneOf("cache_ttl", CacheTtls.FiveMinutes, CacheTtls.OneHour),
                ParseOpenPaths(fields, errors));
        }
        return Result(input, errors, out error);
    }

    private static Field<LimitsInput?> ParseLimits(JsonFields key)
    {
        var limits = key.Object("limits", "requests_per_minute", "input_tokens_per_minute", "output_tokens_per_minute",
            "concurrent_streams", "daily_budget_usd", "monthly_budget_usd");
        return limits.Value is not { } fields
            ? new(limits.IsSet, null)
            : new(true, new LimitsInput(
                fields.Count("requests_per_minute"),
                fields.Count("input_tokens_per_minute"),
                fields.Count("output_tokens_per_minute"),
                fields.SmallCount("concurrent_streams"),
                fields.Usd("daily_budget_usd"),
                fields.Usd("monthly_budget_usd")));
    }

    private static Field<SessionLimitsInput?> ParseSessionLimits(JsonFields key)
    {
        var limits = key.Object("session_limits", "max_requests", "max_cost_usd");
        return limits.Value is not { } fields
            ? new(limits.IsSet, null)
            : new(true, new SessionLimitsInput(fields.Count("max_requests"), fields.Usd("max_cost_usd")));
    }

    private static T? Result<T>(T? input, List<string> errors, out string error) where T : class
    {
        error = string.Join(" ", errors);
        return errors.Count == 0 ? input : null;
    }
}
