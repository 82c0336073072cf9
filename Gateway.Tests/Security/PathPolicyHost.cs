using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Security;

/// <summary>
/// One front with virtual keys, keys and audit in a real Postgres, in front of the fake upstream (which
/// answers anything): shared by the path-policy tests, each of which makes its own teams and keys, so
/// what one test forwards or charges cannot blur another's assertions.
/// </summary>
public sealed class PathPolicyHost : TenantFrontHost
{
    /// <summary>What the upstream received after <paramref name="before"/> requests (the recorder keeps order).</summary>
    public IReadOnlyList<RecordedRequest> ReceivedSince(int before) => Upstream.Received.Skip(before).ToList();
}
