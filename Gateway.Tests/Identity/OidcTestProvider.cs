using System.Diagnostics;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Identity;

/// <summary>
/// The npm <c>oidc-provider</c> (from <c>.ci/clients</c>) run by <c>oidc-provider.mjs</c> on a free loopback
/// port: device flow, client <c>gateway</c>, accounts alice/bob/carol/dave (group <c>eng</c>) and
/// nogroup (group <c>contractors</c> only). Killed on dispose.
/// </summary>
internal sealed class OidcTestProvider : IAsyncDisposable
{
    public const string ClientId = "gateway";
    public const string ClientSecret = "gateway-test-secret";

    private readonly Process _process;

    private OidcTestProvider(Process process, Uri issuer)
    {
        _process = process;
        Issuer = issuer;
    }

    public Uri Issuer { get; }

    public static string ModuleDirectory => Path.Combine(RepoPaths.Root, ".ci", "clients", "node_modules", "oidc-provider");

    public static async Task<OidcTestProvider> StartAsync()
    {
        if (!Directory.Exists(ModuleDirectory))
        {
            throw new InvalidOperationException(
                $"oidc-provider not found at {ModuleDirectory}. Install it with `npm ci --prefix .ci/clients` (bash .ci/run does this).");
        }
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "Gateway.Tests", "Identity", "oidc-provider.mjs"));
        start.ArgumentList.Add(ModuleDirectory);
        start.ArgumentList.Add("0");
        var process = Process.Start(start)!;
        // Its warnings go to stderr; read it so the pipe never fills.
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
            ?? throw new InvalidOperationException("oidc-provider.mjs exited before it listened.");
        var issuer = JsonDocument.Parse(line).RootElement.GetProperty("issuer").GetString()!;
        _ = process.StandardOutput.ReadToEndAsync();
        return new OidcTestProvider(process, new Uri(issuer));
    }

    /// <summary>
    /// Gateway settings for this provider as issuer <paramref name="name"/> (the <paramref name="index"/>th of
    /// <c>Identity:Issuers</c>), group <c>eng</c> mapped to <paramref name="team"/>.
    /// </summary>
    public Dictionary<string, string?> GatewaySettings(string team, string name = "corp", int index = 0) => new()
    {
        ["Identity:SigningKey"] = IdentityTestTokens.SigningKey,
        [$"Identity:Issuers:{index}:Name"] = name,
        [$"Identity:Issuers:{index}:Authority"] = Issuer.ToString().TrimEnd('/'),
        [$"Identity:Issuers:{index}:ClientId"] = ClientId,
        [$"Identity:Issuers:{index}:ClientSecret"] = ClientSecret,
        [$"Identity:Issuers:{index}:Scopes"] = "openid email groups offline_access",
        [$"Identity:Issuers:{index}:RequireHttps"] = "false",
        [$"Identity:Issuers:{index}:Teams:eng"] = team,
        [$"Identity:Issuers:{index}:AdminGroups:0"] = "gateway-admins",
    };

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
