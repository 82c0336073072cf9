namespace Gateway.Bench;

/// <summary>The bench's options: <c>--name value</c> pairs anywhere on the command line.</summary>
internal static class CommandLine
{
    /// <summary>The value after <paramref name="name"/>, or null when it is absent or last.</summary>
    public static string? Value(string[] args, string name) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
