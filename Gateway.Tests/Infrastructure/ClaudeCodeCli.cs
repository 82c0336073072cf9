using System.Diagnostics;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Runs the real Claude Code CLI (<c>claude -p</c>) from <c>.ci/clients</c>, in a clean environment
/// and a scratch directory so nothing from this machine leaks into its prompt or config, and with
/// non-essential traffic off so it talks to the gateway on loopback and nothing else.
/// </summary>
internal static class ClaudeCodeCli
{
    public static string Binary =>
        Environment.GetEnvironmentVariable("CLAUDE_CODE_BIN") is { Length: > 0 } configured
            ? configured
            : Path.Combine(RepoPaths.Root, ".ci", "clients", "node_modules", ".bin", "claude");

    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static async Task<Result> RunAsync(Uri baseUrl, IDictionary<string, string> auth, params string[] args)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException(
                $"Claude Code not found at {Binary}. Install it with `npm ci --prefix .ci/clients` (bash .ci/run does this).");
        }
        var scratch = Directory.CreateTempSubdirectory("claude-code-test-");
        try
        {
            var start = new ProcessStartInfo(Binary)
            {
                WorkingDirectory = scratch.FullName,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }
            start.Environment.Clear();
            start.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
            start.Environment["HOME"] = scratch.FullName;
            start.Environment["ANTHROPIC_BASE_URL"] = baseUrl.ToString().TrimEnd('/');
            start.Environment["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1";
            start.Environment["CLAUDE_CODE_MAX_RETRIES"] = "1";
            foreach (var (key, value) in auth)
            {
                start.Environment[key] = value;
            }

            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"claude did not finish in 90 s. stdout: {await stdout} stderr: {await stderr}");
            }
            return new Result(process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            try { scratch.Delete(recursive: true); } catch (IOException) { }
        }
    }
}
