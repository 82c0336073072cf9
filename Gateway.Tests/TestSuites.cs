namespace Gateway.Tests;

/// <summary>
/// Trait names for the suites a developer skips while iterating: <c>dotnet test Gateway.Tests --filter "Category!=Slow"</c>
/// runs the fast set (unit tests, in-process fronts and grain clusters) in under a minute. CI runs every test.
/// </summary>
public static class TestSuites
{
    public const string Category = "Category";

    /// <summary>
    /// Tests that take seconds each: child processes (silos, fronts, the Claude Code CLI, helm), restarted
    /// servers, seeded fuzzing, load and fault runs.
    /// </summary>
    public const string Slow = "Slow";
}
