namespace Gateway.Front.Admission;

/// <summary>
/// Completion's session bookkeeping: a settled request of a session counts toward the session's limits on
/// this front at once, before its grain hears of it (<see cref="SessionCheck"/>). Pass-through mode has no
/// sessions to limit and registers <see cref="NoSessionSettlements"/>.
/// </summary>
public interface ISessionSettlements
{
    void Settled(string sessionId, string keyId, decimal costUsd);
}
