using System.Globalization;
using Npgsql;

namespace Gateway.Tests.Usage;

/// <summary>
/// Reads query results as rows of plain values and compares them exactly: integers as long,
/// money as decimal (equal by value, whatever its scale), doubles rounded to 6 decimals (percentile
/// arithmetic in floating point), dates as DateOnly, times as UTC DateTimeOffset, intervals as TimeSpan.
/// </summary>
internal static class ViewRows
{
    public static object?[] Row(params object?[] values) => values.Select(Normalize).ToArray();

    public static async Task<List<object?[]>> QueryAsync(NpgsqlDataSource dataSource, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        var rows = new List<object?[]>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : Normalize(reader.GetDataTypeName(i) switch
                {
                    "date" => reader.GetFieldValue<DateOnly>(i),
                    "timestamp with time zone" => reader.GetFieldValue<DateTimeOffset>(i),
                    "interval" => reader.GetFieldValue<TimeSpan>(i),
                    _ => reader.GetValue(i),
                });
            }
            rows.Add(row);
        }
        return rows;
    }

    public static void AssertRows(IReadOnlyList<object?[]> expected, IReadOnlyList<object?[]> actual)
    {
        var want = string.Join(Environment.NewLine, expected.Select(Format));
        var got = string.Join(Environment.NewLine, actual.Select(Format));
        Assert.True(expected.Count == actual.Count && expected.Zip(actual).All(p => p.First.SequenceEqual(p.Second)),
            $"Expected:{Environment.NewLine}{want}{Environment.NewLine}Actual:{Environment.NewLine}{got}");
    }

    private static object? Normalize(object? value) => value switch
    {
        int i => (long)i,
        short s => (long)s,
        double d => Math.Round(d, 6),
        DateTimeOffset t => t.ToUniversalTime(),
        DBNull => null,
        _ => value,
    };

    private static string Format(object?[] row) => "(" + string.Join(", ", row.Select(v => v switch
    {
        null => "null",
        string s => '"' + s + '"',
        decimal m => m.ToString("G29", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString(),
    })) + ")";
}
