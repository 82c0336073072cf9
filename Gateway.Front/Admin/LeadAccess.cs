namespace Gateway.Front.Admin;

/// <summary>
/// Endpoint metadata: a team lead may call this endpoint (its handler scopes what they see through
/// <see cref="CallerScope"/>). Every admin endpoint without it is for administrators only (403 for a lead).
/// </summary>
public sealed class LeadAccess
{
    public static LeadAccess Allowed { get; } = new();

    private LeadAccess()
    {
    }
}
