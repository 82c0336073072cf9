using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Console;

/// <summary>Where the console's sources and the npm copy of its chart library are.</summary>
internal static class ConsolePaths
{
    public static string WebRoot { get; } = Path.Combine(RepoPaths.Root, "Gateway.Front", "Console", "wwwroot");

    public static string VendoredChartJs { get; } = Path.Combine(WebRoot, "vendor", "chartjs", "chart.umd.min.js");

    public static string NpmChartJs { get; } =
        Path.Combine(RepoPaths.Root, ".ci", "clients", "node_modules", "chart.js", "dist", "chart.umd.min.js");

    /// <summary>Every file of the console, as a path under <c>/console/</c> with forward slashes.</summary>
    public static IEnumerable<string> Files() =>
        Directory.EnumerateFiles(WebRoot, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(WebRoot, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal);
}
