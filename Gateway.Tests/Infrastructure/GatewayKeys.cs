using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Tests.Infrastructure;

/// <summary>Creates teams and keys through the admin API, as an operator would.</summary>
internal static class GatewayKeys
{
    public sealed record CreatedKey(string KeyId, string Secret, string TeamId);

    public static async Task<CreatedKey> CreateAsync(HttpClient admin, object? limits = null, string[]? allowedModels = null,
        object? sessionLimits = null, string billingTag = "cc-test", bool? cacheInjection = null, string? cacheTtl = null,
        string[]? openPaths = null)
    {
        using var team = await admin.PostAsJsonAsync("admin/teams", new { name = "team-" + Guid.NewGuid().ToString("N")[..10], billing_tag = billingTag });
        Assert.True(team.IsSuccessStatusCode, await team.Content.ReadAsStringAsync());
        var teamId = JsonDocument.Parse(await team.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        using var key = await admin.PostAsJsonAsync("admin/keys", new
        {
            team_id = teamId,
            name = "test key",
            allowed_models = allowedModels ?? [],
            limits,
            session_limits = sessionLimits,
            // null (the gateway's defaults) is the same as leaving them out.
            cache_injection = cacheInjection,
            cache_ttl = cacheTtl,
            // null (none open) is the same as leaving it out.
            open_paths = openPaths,
        });
        var body = await key.Content.ReadAsStringAsync();
        Assert.True(key.IsSuccessStatusCode, body);
        var root = JsonDocument.Parse(body).RootElement;
        return new CreatedKey(root.GetProperty("id").GetString()!, root.GetProperty("secret").GetString()!, teamId);
    }
}
