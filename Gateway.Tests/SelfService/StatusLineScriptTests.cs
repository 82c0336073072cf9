using System.Diagnostics;
using System.Net;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.SelfService;

/// <summary>
/// <c>scripts/claude-statusline</c> run with bash as Claude Code runs a statusLine command (its session JSON on stdin):
/// one line from a live gateway, with the key from the environment or from an apiKeyHelper command; a harmless line,
/// exit 0 and nothing on stderr when the gateway is unreachable or refuses the key.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class StatusLineScriptTests(SelfServiceHost host, ITestOutputHelper output) : IClassFixture<SelfServiceHost>
{
    private const string SessionJson = """{"session_id":"abc","model":{"id":"claude-sonnet-4-5","display_name":"Sonnet"},"workspace":{"current_dir":"/tmp"}}""";

    private static readonly string Script = Path.Combine(RepoPaths.Root, "scripts", "claude-statusline");

    [Fact]
    public async Task A_live_key_from_the_environment_gets_its_line()
    {
        var key = await host.TenantAsync(limits: new { output_tokens_per_minute = 40_000, daily_budget_usd = 20 });
        using (var client = host.Client(key.Secret))
        using (var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var (line, error, code) = await RunAsync([], ("ANTHROPIC_BASE_URL", host.Front.BaseAddress.ToString()), ("ANTHROPIC_API_KEY", key.Secret));
        output.WriteLine(line);
        Assert.Equal((0, ""), (code, error));
        Assert.Matches(@"^cc-test · \$\d+\.\d+ today / \$20 · \d+(\.\d)?k out-tok/min left\n$", line);

        // ANTHROPIC_AUTH_TOKEN (sent as a bearer by Claude Code) works the same.
        var (bearer, _, _) = await RunAsync([], ("ANTHROPIC_BASE_URL", host.Front.BaseAddress.ToString().TrimEnd('/')), ("ANTHROPIC_AUTH_TOKEN", key.Secret));
        Assert.StartsWith("cc-test · $", bearer);
    }

    [Fact]
    public async Task The_key_can_come_from_the_apiKeyHelper_command()
    {
        var key = await host.TenantAsync(limits: new { requests_per_minute = 30 });
        var (line, error, code) = await RunAsync([$"printf '%s\\n' '{key.Secret}'"], ("ANTHROPIC_BASE_URL", host.Front.BaseAddress.ToString()));
        output.WriteLine(line);
        Assert.Equal((0, ""), (code, error));
        Assert.Matches(@"^cc-test · \$0\.00 today · 30 req/min left\n$", line);
    }

    [Fact]
    public async Task An_unreachable_gateway_or_a_refused_key_prints_a_harmless_line()
    {
        var closed = $"http://127.0.0.1:{ClusterProcesses.FreePort()}";
        var clock = Stopwatch.StartNew();
        var (down, downError, downCode) = await RunAsync([], ("ANTHROPIC_BASE_URL", closed), ("ANTHROPIC_API_KEY", "sk-gw-whatever"));
        output.WriteLine($"{down.TrimEnd()} ({clock.ElapsedMilliseconds} ms)");
        Assert.Equal(("gateway: unreachable\n", "", 0), (down, downError, downCode));

        var (refused, refusedError, refusedCode) = await RunAsync([], ("ANTHROPIC_BASE_URL", host.Front.BaseAddress.ToString()),
            ("ANTHROPIC_API_KEY", "sk-gw-" + Guid.NewGuid().ToString("N")));
        Assert.Equal(("gateway: key not accepted\n", "", 0), (refused, refusedError, refusedCode));

        var (none, noneError, noneCode) = await RunAsync([], ("ANTHROPIC_BASE_URL", host.Front.BaseAddress.ToString()));
        Assert.Equal(("gateway: no key\n", "", 0), (none, noneError, noneCode));
    }

    private static async Task<(string Out, string Err, int Code)> RunAsync(string[] arguments, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var name in new[] { "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN" })
        {
            start.Environment.Remove(name);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(SessionJson);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);
        return (await stdout, await stderr, process.ExitCode);
    }
}
