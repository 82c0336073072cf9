using Testcontainers.Redis;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A Redis for Orleans clustering in tests, as <c>host:port</c>: from <c>GATEWAY_TEST_REDIS</c>
/// (<c>eval "$(bash .ci/services.sh start)"</c> sets it), else one Testcontainers Redis shared by the
/// whole run, else the test fails saying so. Tests share the server and isolate themselves with a
/// unique Orleans ClusterId.
/// </summary>
public static class TestRedis
{
    public const string EnvironmentVariable = "GATEWAY_TEST_REDIS";

    private const string Image = "redis:7-alpine";

    private static readonly SemaphoreSlim s_gate = new(1, 1);
    private static Task<string>? s_endpoint;

    public static async Task<string> EndpointAsync()
    {
        await s_gate.WaitAsync();
        try
        {
            s_endpoint ??= FindAsync();
        }
        finally
        {
            s_gate.Release();
        }
        return await s_endpoint;
    }

    /// <summary>A ClusterId no other test uses, so tests sharing one Redis never see each other's silos.</summary>
    public static string NewClusterId(string prefix = "test") => $"{prefix}-{Guid.NewGuid():N}";

    private static async Task<string> FindAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured.Trim();
        }
        try
        {
            var container = new RedisBuilder(Image).Build();
            await container.StartAsync();
            // GetConnectionString is "host:port"; the reaper removes the container at exit.
            return container.GetConnectionString();
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"No Redis for the tests: set {EnvironmentVariable} to host:port " +
                "(e.g. eval \"$(bash .ci/services.sh start)\") or run a Docker engine for Testcontainers. " +
                $"Starting a container failed: {e.GetType().Name}: {e.Message}", e);
        }
    }
}
