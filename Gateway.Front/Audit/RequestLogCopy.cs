using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Gateway.Front.Audit;

/// <summary>
/// How an <see cref="AuditRecord"/> becomes a row of <c>request_log</c> in a binary COPY: the column list
/// (the order of <see cref="WriteRowAsync"/>) and the values, cleaned of what Postgres text refuses.
/// </summary>
internal static class RequestLogCopy
{
    public const string Table = "request_log";

    /// <summary>Every column of <c>request_log</c>, in the order the rows are written.</summary>
    public const string Columns =
        "at, request_id, key_id, team_id, billing_tag, session_id, agent_id, parent_agent_id, model_requested, " +
        "model_served, provider, upstream_key_id, endpoint, status, error_type, stream, input_tokens, output_tokens, " +
        "cache_creation_tokens, cache_read_tokens, cost_usd, cache_savings_usd, latency_ms, ttfb_ms, tool_call_count, " +
        "tool_names, cache_breakpoints, prompt_prefix_hash, request_bytes, user_agent, attempts, user_id";

    public static string CopyCommand(string table) => $"COPY {table} ({Columns}) FROM STDIN (FORMAT BINARY)";

    public static async Task WriteRowsAsync(NpgsqlBinaryImporter copy, ArraySegment<AuditRecord> rows, CancellationToken cancellationToken)
    {
        foreach (var row in rows)
        {
            await WriteRowAsync(copy, row, cancellationToken);
        }
    }

    public static async Task WriteRowAsync(NpgsqlBinaryImporter copy, AuditRecord r, CancellationToken ct)
    {
        await copy.StartRowAsync(ct);
        await copy.WriteAsync(r.At.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
        await TextAsync(copy, r.RequestId, ct);
        await TextAsync(copy, r.KeyId, ct);
        await TextAsync(copy, r.TeamId, ct);
        await TextAsync(copy, r.BillingTag, ct);
        await TextAsync(copy, r.SessionId, ct);
        await TextAsync(copy, r.AgentId, ct);
        await TextAsync(copy, r.ParentAgentId, ct);
        await TextAsync(copy, r.ModelRequested, ct);
        await TextAsync(copy, r.ModelServed, ct);
        await TextAsync(copy, r.Provider, ct);
        await TextAsync(copy, r.UpstreamKeyId, ct);
        await TextAsync(copy, r.Endpoint, ct);
        await copy.WriteAsync(r.Status, NpgsqlDbType.Integer, ct);
        await TextAsync(copy, r.ErrorType, ct);
        await copy.WriteAsync(r.Stream, NpgsqlDbType.Boolean, ct);
        await copy.WriteAsync(r.Tokens.Input, NpgsqlDbType.Bigint, ct);
        await copy.WriteAsync(r.Tokens.Output, NpgsqlDbType.Bigint, ct);
        await copy.WriteAsync(r.Tokens.CacheCreation, NpgsqlDbType.Bigint, ct);
        await copy.WriteAsync(r.Tokens.CacheRead, NpgsqlDbType.Bigint, ct);
        await copy.WriteAsync(r.CostUsd, NpgsqlDbType.Numeric, ct);
        await copy.WriteAsync(r.CacheSavingsUsd, NpgsqlDbType.Numeric, ct);
        await copy.WriteAsync(r.LatencyMs, NpgsqlDbType.Double, ct);
        if (r.TimeToFirstByteMs is { } ttfb)
        {
            await copy.WriteAsync(ttfb, NpgsqlDbType.Double, ct);
        }
        else
        {
            await copy.WriteNullAsync(ct);
        }
        await copy.WriteAsync(r.ToolCallCount, NpgsqlDbType.Integer, ct);
        await copy.WriteAsync(ToolNames(r.ToolNames), NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
        await copy.WriteAsync(r.CacheBreakpoints, NpgsqlDbType.Integer, ct);
        await TextAsync(copy, r.PromptPrefixHash, ct);
        await copy.WriteAsync(r.RequestBytes, NpgsqlDbType.Integer, ct);
        await TextAsync(copy, r.UserAgent, ct);
        await copy.WriteAsync(r.Attempts, NpgsqlDbType.Integer, ct);
        await TextAsync(copy, r.UserId, ct);
    }

    /// <summary>
    /// Postgres text holds neither NUL nor invalid UTF-16 (a lone surrogate, e.g. from a JSON <c>\ud800</c>
    /// in a tool name): both become U+FFFD, so one odd value from a client cannot fail a whole batch.
    /// </summary>
    public static string Clean(string value)
    {
        var span = value.AsSpan();
        if (span.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0)
        {
            // The replacing (non-throwing) encoder turns a lone surrogate into U+FFFD; valid pairs survive.
            value = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(value));
        }
        return value.Contains('\0') ? value.Replace('\0', '\uFFFD') : value;
    }

    private static Task TextAsync(NpgsqlBinaryImporter copy, string? value, CancellationToken ct) =>
        value is null ? copy.WriteNullAsync(ct) : copy.WriteAsync(Clean(value), NpgsqlDbType.Text, ct);

    private static string?[] ToolNames(IReadOnlyList<string>? names)
    {
        if (names is null || names.Count == 0)
        {
            return [];
        }
        var result = new string?[names.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = names[i] is { } name ? Clean(name) : null;
        }
        return result;
    }
}
