using System.Buffers;
using System.Text;

namespace Gateway.Front.Admin;

/// <summary>
/// One text cell of the billing CSV. Team names, billing tags and model names are chosen by clients and
/// tenants; a spreadsheet runs a cell that begins with <c>= + - @</c> (or a tab or CR) as a formula
/// (<c>=HYPERLINK(…)</c> sends finance's data away). Such cells get a leading <c>'</c> and are quoted,
/// as OWASP's CSV-injection guidance says, so they open as text.
/// </summary>
internal static class CsvField
{
    private static readonly SearchValues<char> FormulaStarts = SearchValues.Create("=+-@\t\r");
    private static readonly SearchValues<char> NeedsQuotes = SearchValues.Create(",\"\r\n");

    public static bool IsFormula(string value) => value.Length > 0 && FormulaStarts.Contains(value[0]);

    public static StringBuilder Append(StringBuilder csv, string? value)
    {
        if (value is null)
        {
            return csv;
        }
        if (IsFormula(value))
        {
            return csv.Append("\"'").Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
        }
        // Quoted when it holds a delimiter, quote or line break, or is empty (so it is not read as null).
        if (value.Length == 0 || value.AsSpan().IndexOfAny(NeedsQuotes) >= 0)
        {
            return csv.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
        }
        return csv.Append(value);
    }
}
