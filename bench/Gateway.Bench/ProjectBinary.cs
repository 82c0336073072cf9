namespace Gateway.Bench;

/// <summary>The built dll of one of the repository's projects, which the bench starts as a child process.</summary>
internal static class ProjectBinary
{
    public static string Find(string project, string configuration)
    {
        var dll = Path.Combine(Repo.Root, project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build first: dotnet build -c {configuration} bench/Gateway.Bench", dll);
    }
}
