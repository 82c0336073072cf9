namespace Gateway.Front.Admission;

/// <summary>Pass-through mode: no keys, so no session limits to keep count for.</summary>
public sealed class NoSessionSettlements : ISessionSettlements
{
    public void Settled(string sessionId, string keyId, decimal costUsd)
    {
    }
}
