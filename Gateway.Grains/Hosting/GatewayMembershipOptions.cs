namespace Gateway.Grains.Hosting;

/// <summary>
/// Failure detection, section <c>Cluster:Membership</c>. Every value is optional: unset keeps Orleans'
/// default. How long a killed silo stays a member is about <c>ProbeTimeout × NumMissedProbesLimit</c>
/// (Orleans: 5 s × 3); tests and Helm shorten it here.
/// </summary>
public sealed class GatewayMembershipOptions
{
    /// <summary>How long a silo waits for a probe answer before it counts a miss (Orleans: 00:00:05).</summary>
    public TimeSpan? ProbeTimeout { get; set; }

    /// <summary>Missed probes before a silo votes another dead (Orleans: 3).</summary>
    public int? NumMissedProbesLimit { get; set; }

    /// <summary>Votes needed to declare a silo dead, capped by half the live silos (Orleans: 2).</summary>
    public int? NumVotesForDeathDeclaration { get; set; }

    /// <summary>How often each silo writes "I am alive" into the membership table (Orleans: 00:00:30).</summary>
    public TimeSpan? IAmAliveTablePublishTimeout { get; set; }

    /// <summary>How often each silo re-reads the membership table (Orleans: 00:01:00).</summary>
    public TimeSpan? TableRefreshTimeout { get; set; }

    /// <summary>Age after which dead silos' rows are removed from the table (Orleans: 7 days).</summary>
    public TimeSpan? DefunctSiloExpiration { get; set; }

    /// <summary>How often dead rows are looked for (Orleans: 01:00:00).</summary>
    public TimeSpan? DefunctSiloCleanupPeriod { get; set; }
}
