using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Metrics;

/// <summary>A front with keys in Postgres (embedded silo) whose fake upstream caches any prefix, so a repeated prompt reads the cache.</summary>
public sealed class GraphedMetricsHost : TenantFrontHost
{
    protected override FakeUpstreamOptions? UpstreamOptions => new() { MinCacheablePrefixTokens = 0 };
}
