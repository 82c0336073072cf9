using Microsoft.Playwright;

namespace Gateway.Tests.Console;

/// <summary>
/// Debian's chromium (never a browser Playwright downloads: this machine and CI reach no browser host) driven by
/// Microsoft.Playwright, whose driver (Node and its package) ships inside the NuGet package and runs offline.
/// <c>CHROMIUM_BIN</c> overrides the path, the way <c>CLAUDE_CODE_BIN</c> does for Claude Code.
/// </summary>
internal static class ConsoleBrowser
{
    public static string Binary =>
        Environment.GetEnvironmentVariable("CHROMIUM_BIN") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException(
                $"chromium not found at {Binary}. Install it with `apt-get install chromium` (bash .ci/run does this) or set CHROMIUM_BIN.");
        }
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Binary,
                Headless = true,
                // Root in CI has no user namespaces for the sandbox; the page is our own console on loopback.
                ChromiumSandbox = false,
                Args = ["--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
            });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }
}
