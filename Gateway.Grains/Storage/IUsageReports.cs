namespace Gateway.Grains.Storage;

/// <summary>
/// Read-only rows of the usage database's views (0004_views.sql) for the web console's reports. Only the views
/// <see cref="UsageReportNames"/> lists can be read, each through a fixed query bounded by a start day and a row
/// limit. Only registered with Postgres: usage kept in memory has no views.
/// </summary>
public interface IUsageReports
{
    /// <summary>
    /// Up to <paramref name="limit"/> rows of <paramref name="view"/> (one of <see cref="UsageReportNames.All"/>) from
    /// UTC day <paramref name="since"/> on, in the view's report order.
    /// </summary>
    Task<UsageReportTable> ReadAsync(string view, DateOnly since, int limit, CancellationToken cancellationToken = default);
}

/// <summary>
/// A report's rows as the view gives them: column names, and per row one value per column (null, <see cref="long"/>,
/// <see cref="int"/>, <see cref="decimal"/>, <see cref="double"/>, <see cref="string"/>, <see cref="bool"/>,
/// <see cref="DateOnly"/>, <see cref="DateTime"/> (UTC) or <see cref="TimeSpan"/>).
/// </summary>
public sealed record UsageReportTable(IReadOnlyList<string> Columns, IReadOnlyList<object?[]> Rows);
