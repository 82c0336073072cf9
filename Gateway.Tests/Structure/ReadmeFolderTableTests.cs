using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Structure;

/// <summary>
/// The README's folder table is how a newcomer finds where a feature lives, so it must match the tree:
/// every folder it names exists, and every source folder of the projects (Gateway.Front's and
/// Gateway.Grains' first level, Front's OpenAi parts) has a row.
/// </summary>
public sealed partial class ReadmeFolderTableTests
{
    [Fact]
    public void Every_folder_the_table_names_exists()
    {
        var missing = TableFolders().Where(f => !Directory.Exists(Path.Combine(RepoPaths.Root, f))).ToArray();
        Assert.True(missing.Length == 0, "README names folders that do not exist: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_source_folder_has_a_row()
    {
        var named = TableFolders().ToHashSet(StringComparer.Ordinal);
        var folders = new[] { "Gateway.Front", "Gateway.Grains", "Gateway.Front/OpenAi" }
            .SelectMany(project => Directory.GetDirectories(Path.Combine(RepoPaths.Root, project))
                .Where(dir => Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories).Any())
                .Select(dir => project + "/" + Path.GetFileName(dir)))
            .Where(folder => !folder.EndsWith("/bin", StringComparison.Ordinal) && !folder.EndsWith("/obj", StringComparison.Ordinal)
                && !folder.EndsWith("/Properties", StringComparison.Ordinal));
        var unlisted = folders.Where(f => !named.Contains(f)).ToArray();
        Assert.True(unlisted.Length == 0, "README's folder table has no row for: " + string.Join(", ", unlisted));
    }

    /// <summary>
    /// The folders named in the table's first column: <c>`Gateway.Front/Metrics`, `Errors`</c> names
    /// Gateway.Front/Metrics and Gateway.Front/Errors (later names share the first one's parent).
    /// </summary>
    private static IEnumerable<string> TableFolders()
    {
        var readme = File.ReadAllLines(Path.Combine(RepoPaths.Root, "README.md"));
        var header = Array.FindIndex(readme, line => line.StartsWith("| folder | what lives there |", StringComparison.Ordinal));
        Assert.True(header >= 0, "README has no folder table");
        foreach (var row in readme.Skip(header + 2).TakeWhile(line => line.StartsWith('|')))
        {
            var names = FolderName().Matches(row.Split('|')[1]).Select(m => m.Groups[1].Value.TrimEnd('/')).ToArray();
            var parent = names.Length > 0 && names[0].Contains('/') ? names[0][..names[0].LastIndexOf('/')] + "/" : "";
            for (var i = 0; i < names.Length; i++)
            {
                yield return i == 0 || names[i].Contains('/') ? names[i] : parent + names[i];
            }
        }
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex FolderName();
}
