using Gateway.Grains.Abstractions;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Security;

/// <summary>
/// One front with virtual keys in a real Postgres in front of the fake upstream, whose single pooled
/// upstream key every tenant shares: for the tests that one team cannot exhaust what others share (the
/// upstream key, the key's budget). Each test makes its own teams and keys.
/// </summary>
public sealed class TenantPoolHost : TenantFrontHost
{
    public IGrainFactory Grains => Front.Services.GetRequiredService<IGrainFactory>();

    protected override TimeSpan ClientTimeout => TimeSpan.FromSeconds(60);

    /// <summary>A Messages body for <paramref name="model"/>.</summary>
    public static string Request(string model, int maxTokens = 64, bool stream = false) =>
        $$"""{"model":"{{model}}","max_tokens":{{maxTokens}},"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Say hello"}]}""";

    /// <summary>Requests to <paramref name="path"/> the upstream received (its own record).</summary>
    public int Received(string path, string? model = null) =>
        Upstream.Received.Count(r => r.Method == "POST" && r.PathAndQuery.StartsWith(path, StringComparison.Ordinal)
            && (model is null || System.Text.Encoding.UTF8.GetString(r.Body).Contains(model, StringComparison.Ordinal)));

    internal Task<KeyUsageView> UsageAsync(GatewayKeys.CreatedKey key) => Grains.GetGrain<IApiKeyGrain>(key.KeyId).GetUsageAsync();
}
