using System.Diagnostics;

namespace Gateway.Tests.Deploy;

/// <summary>
/// podman as <c>.ci/images.sh</c> sets it up: always with the runc runtime (crun fails on CI machines'
/// cgroup layout) and a <c>containers.conf</c> without default ulimits or a pids limit, taken from
/// <c>CONTAINERS_CONF</c> or else written beside the script's own copy.
/// </summary>
internal static class Podman
{
    public static string? Binary { get; } = Find();

    public static bool IsAvailable => Binary is not null;

    public const string NotAvailable =
        "podman not found: container tests need podman and runc (apt-get install podman runc; bash .ci/images.sh builds the images).";

    private static readonly Lazy<string> s_containersConf = new(ContainersConf);

    private static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "podman"))
            .FirstOrDefault(File.Exists);

    private static string ContainersConf()
    {
        if (Environment.GetEnvironmentVariable("CONTAINERS_CONF") is { Length: > 0 } configured && File.Exists(configured))
        {
            return configured;
        }
        var path = Path.Combine(Infrastructure.RepoPaths.Root, ".ci", ".cache", "containers.conf");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "[containers]\ndefault_ulimits = []\npids_limit = 0\n");
        return path;
    }

    /// <summary><c>podman --runtime runc ARGS</c> to its end (at most <paramref name="timeout"/>); returns the exit code and stdout+stderr.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(Binary ?? throw new InvalidOperationException(NotAvailable))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--runtime");
        start.ArgumentList.Add("runc");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["CONTAINERS_CONF"] = s_containersConf.Value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"podman {string.Join(' ', start.ArgumentList)} did not finish in time: {await stdout}{await stderr}");
        }
        return (process.ExitCode, (await stdout + await stderr).Trim());
    }

    /// <summary>Runs podman and asserts it succeeded; returns its output.</summary>
    public static async Task<string> CheckedAsync(params string[] arguments)
    {
        var (code, output) = await RunAsync(arguments);
        Assert.True(code == 0, $"podman {string.Join(' ', arguments)} failed ({code}):\n{output}");
        return output;
    }
}

/// <summary>
/// A fact that runs only where podman is installed; skipped with the reason otherwise. Never skipped when
/// <c>GATEWAY_TEST_IMAGES</c> is set (by <c>.ci/images.sh</c>, as CI runs it): there it must run.
/// </summary>
internal sealed class PodmanFactAttribute : FactAttribute
{
    public PodmanFactAttribute()
    {
        if (!Podman.IsAvailable && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("GATEWAY_TEST_IMAGES")))
        {
            Skip = Podman.NotAvailable;
        }
    }
}
