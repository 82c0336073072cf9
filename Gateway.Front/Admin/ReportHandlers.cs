using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Gateway.Grains.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Front.Admin;

/// <summary>
/// <c>GET /admin/reports</c> (the names) and <c>GET /admin/reports/{view}?days=N&amp;limit=N</c>: read-only rows of the
/// usage views finance uses (0004_views.sql), for the web console's plots and tables. The view must be one of
/// <see cref="UsageReportNames.All"/>; <c>days</c> (1–366, default 30) and <c>limit</c> (1–1000, default 100) bound
/// what one call may scan and return. Behind the admin token like every <c>/admin</c> endpoint.
/// </summary>
internal static partial class ReportHandlers
{
    public const int DefaultDays = 30;
    public const int MaxDays = 366;
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static IResult List()
    {
        return new JsonBody(writer =>
        {
            writer.WriteString("type", "list");
            writer.WriteStartArray("data");
            foreach (var name in UsageReportNames.All)
            {
                writer.WriteStringValue(name);
            }
            writer.WriteEndArray();
            writer.WriteBoolean("has_more", false);
        });
    }

    /// <param name="clock">The front's clock (the system's where none is registered).</param>
    /// <param name="reports">Absent (null) when the gateway runs without Postgres.</param>
    public static async Task<IResult> ReadAsync(string view, HttpContext context, [FromServices] ILoggerFactory loggers,
        [FromServices] TimeProvider? clock, [FromServices] IUsageReports? reports)
    {
        if (UsageReportNames.Find(view) is not { } name)
        {
            return AdminResults.NotFound($"No report named '{Bounded(view)}'; the reports are: {string.Join(", ", UsageReportNames.All)}.");
        }
        if (reports is null)
        {
            return AdminResults.NotFound(
                "Reports read the usage database, and this gateway runs without one " +
                $"({PostgresOptions.Section}:ConnectionString is empty, so usage is kept in memory only).");
        }
        var query = context.Request.Query;
        var problems = new List<string>();
        var days = Bounded(query, "days", DefaultDays, MaxDays, problems);
        var limit = Bounded(query, "limit", DefaultLimit, MaxLimit, problems);
        foreach (var key in query.Keys)
        {
            if (key is not ("days" or "limit"))
            {
                problems.Add($"Unknown query parameter '{Bounded(key)}' (reports take days and limit).");
            }
        }
        if (problems.Count > 0)
        {
            return AdminResults.BadRequest(string.Join(" ", problems));
        }

        // Today counts as the first of the days.
        var since = DateOnly.FromDateTime((clock ?? TimeProvider.System).GetUtcNow().UtcDateTime).AddDays(1 - days);
        var scope = CallerScope.Of(context);
        UsageReportTable table;
        try
        {
            // A lead's rows are filtered here (the views are shared SQL), so read a full page to filter from.
            table = await reports.ReadAsync(name, since, scope.IsAdmin ? limit : MaxLimit, context.RequestAborted);
        }
        catch (DbException e)
        {
            Log.ReportFailed(loggers.CreateLogger(AdminLog.Category), name, e);
            return AdminResults.DatabaseUnavailable("the report");
        }
        if (!scope.IsAdmin)
        {
            var teamColumn = IndexOf(table.Columns, "team_id");
            if (teamColumn < 0)
            {
                return AdminResults.Forbidden($"The report '{name}' is not broken down by team, so it is for administrators only.");
            }
            table = table with
            {
                Rows = [.. table.Rows.Where(r => r[teamColumn] is string team && scope.Sees(team)).Take(limit)],
            };
        }
        return new JsonBody(writer => WriteReport(writer, name, since, days, limit, table));
    }

    private static int IndexOf(IReadOnlyList<string> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i] == name)
            {
                return i;
            }
        }
        return -1;
    }

    private static void WriteReport(Utf8JsonWriter writer, string view, DateOnly since, int days, int limit, UsageReportTable table)
    {
        writer.WriteString("type", "usage_report");
        writer.WriteString("view", view);
        writer.WriteString("since", since.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        writer.WriteNumber("days", days);
        writer.WriteNumber("limit", limit);
        writer.WriteStartArray("columns");
        foreach (var column in table.Columns)
        {
            writer.WriteStringValue(column);
        }
        writer.WriteEndArray();
        writer.WriteStartArray("data");
        foreach (var row in table.Rows)
        {
            writer.WriteStartObject();
            for (var i = 0; i < table.Columns.Count; i++)
            {
                writer.WritePropertyName(table.Columns[i]);
                WriteValue(writer, row[i]);
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        // A full page may have been cut at the limit.
        writer.WriteBoolean("has_more", table.Rows.Count >= limit);
    }

    /// <summary>Numbers as JSON numbers (money keeps its decimals), days as YYYY-MM-DD, times as ISO 8601 UTC, durations in seconds.</summary>
    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case int n:
                writer.WriteNumberValue(n);
                break;
            case decimal d:
                writer.WriteNumberValue(d);
                break;
            case double f when double.IsFinite(f):
                writer.WriteNumberValue(f);
                break;
            case double:
                writer.WriteNullValue();
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case DateOnly day:
                writer.WriteStringValue(day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                break;
            case DateTime time:
                writer.WriteStringValue(DateTime.SpecifyKind(time, DateTimeKind.Utc));
                break;
            case DateTimeOffset time:
                writer.WriteStringValue(time.ToUniversalTime());
                break;
            case TimeSpan span:
                writer.WriteNumberValue(Math.Round(span.TotalSeconds, 3));
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static int Bounded(IQueryCollection query, string name, int fallback, int max, List<string> problems)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return fallback;
        }
        if (values is [{ } text] && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1 && value <= max)
        {
            return value;
        }
        problems.Add($"{name}: one whole number from 1 to {max}.");
        return fallback;
    }

    /// <summary>A client string echoed in an error, cut short.</summary>
    private static string Bounded(string text) => text.Length <= 60 ? text : text[..60] + "…";

    /// <summary>A JSON object written straight to the response (the rows' shapes differ per view, so no DTO per view).</summary>
    private sealed class JsonBody(Action<Utf8JsonWriter> write) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            await using var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter);
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
            await writer.FlushAsync(httpContext.RequestAborted);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(21, LogLevel.Error, "Admin: report {View} failed reading the usage database")]
        public static partial void ReportFailed(ILogger logger, string view, Exception exception);
    }
}
