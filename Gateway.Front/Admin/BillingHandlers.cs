using System.Data.Common;
using System.Globalization;
using System.Text;
using Gateway.Grains.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Front.Admin;

/// <summary>
/// <c>GET /admin/billing/export?month=YYYY-MM[&amp;billing_tag=…]</c>: finance's CSV, one line per billing
/// tag × team × model for that UTC month, from <c>usage_minute</c> (view <c>billing_export_month</c>).
/// The same rows as the <c>psql \copy</c> recipe in docs/usage-database.md, byte for byte.
/// </summary>
internal static partial class BillingHandlers
{
    public const string CsvContentType = "text/csv; charset=utf-8";

    public static readonly string[] Columns =
    [
        "month", "billing_tag", "team_id", "team_name", "model", "requests", "input_tokens", "output_tokens",
        "cache_creation_tokens", "cache_read_tokens", "cost_usd", "cache_savings_usd",
    ];

    /// <param name="reports">Absent (null) when the gateway runs without Postgres.</param>
    public static async Task<IResult> ExportAsync(HttpContext context, [FromServices] ILoggerFactory loggers, [FromServices] IBillingReports? reports)
    {
        if (reports is null)
        {
            return AdminResults.NotFound(
                "The billing export reads the usage database, and this gateway runs without one " +
                $"({PostgresOptions.Section}:ConnectionString is empty, so usage is kept in memory only).");
        }

        var query = context.Request.Query;
        if (query["month"] is not [{ } monthText] || !TryParseMonth(monthText, out var month))
        {
            return AdminResults.BadRequest("month: required, one UTC month as YYYY-MM (e.g. month=2026-11).");
        }
        string? billingTag = null;
        if (query.TryGetValue("billing_tag", out var tags))
        {
            if (tags is not [{ Length: > 0 } tag] || string.IsNullOrWhiteSpace(tag))
            {
                return AdminResults.BadRequest("billing_tag: one non-empty billing tag, or leave it out for every tag.");
            }
            billingTag = tag;
        }

        IReadOnlyList<BillingLine> lines;
        try
        {
            lines = await reports.MonthAsync(month, billingTag, context.RequestAborted);
        }
        catch (DbException e)
        {
            Log.ExportFailed(loggers.CreateLogger(AdminLog.Category), month.ToString("yyyy-MM", CultureInfo.InvariantCulture), e);
            return AdminResults.DatabaseUnavailable("the billing export");
        }

        context.Response.Headers.ContentDisposition = $"attachment; filename=\"billing-{month:yyyy-MM}.csv\"";
        return TypedResults.Text(ToCsv(lines), CsvContentType);
    }

    /// <summary>
    /// RFC 4180 as psql's <c>\copy … (FORMAT csv, HEADER)</c> writes it: LF line ends, null as an empty field;
    /// except that a text cell a spreadsheet would run as a formula is neutralised (<see cref="CsvField"/>).
    /// </summary>
    public static string ToCsv(IEnumerable<BillingLine> lines)
    {
        var csv = new StringBuilder();
        csv.AppendJoin(',', Columns).Append('\n');
        foreach (var line in lines)
        {
            csv.Append(line.Month.ToString("yyyy-MM", CultureInfo.InvariantCulture)).Append(',');
            CsvField.Append(csv, line.BillingTag).Append(',');
            CsvField.Append(csv, line.TeamId).Append(',');
            CsvField.Append(csv, line.TeamName).Append(',');
            CsvField.Append(csv, line.Model).Append(',');
            csv.Append(CultureInfo.InvariantCulture, $"{line.Requests},{line.InputTokens},{line.OutputTokens},");
            csv.Append(CultureInfo.InvariantCulture, $"{line.CacheCreationTokens},{line.CacheReadTokens},");
            // Money as numeric(20,8) prints: always eight decimals.
            csv.Append(CultureInfo.InvariantCulture, $"{line.CostUsd:F8},{line.CacheSavingsUsd:F8}").Append('\n');
        }
        return csv.ToString();
    }

    private static bool TryParseMonth(string text, out DateOnly month) =>
        DateOnly.TryParseExact(text + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out month)
        && text.Length == "yyyy-MM".Length;

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Error, "Admin: billing export for {Month} failed reading the usage database")]
        public static partial void ExportFailed(ILogger logger, string month, Exception exception);
    }
}
