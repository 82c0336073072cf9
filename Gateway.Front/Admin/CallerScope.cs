namespace Gateway.Front.Admin;

/// <summary>
/// Who is calling the admin API and what they may reach: the admin token or a console administrator sees every
/// team; a team lead (signed in to the console through OIDC) sees one team. The auth filter puts it on the request;
/// handlers ask it (never the raw credential) whether a team is theirs, so the scoping lives in one place.
/// </summary>
public sealed class CallerScope
{
    private CallerScope(string? teamId, string subject)
    {
        TeamId = teamId;
        Subject = subject;
    }

    /// <summary>Full access: the admin token.</summary>
    public static CallerScope AdminToken { get; } = new(null, "admin-token");

    public static CallerScope Administrator(string subject) => new(null, subject);

    public static CallerScope Lead(string teamId, string subject)
    {
        ArgumentException.ThrowIfNullOrEmpty(teamId);
        return new(teamId, subject);
    }

    /// <summary>The one team a lead may reach; null for an administrator (every team).</summary>
    public string? TeamId { get; }

    /// <summary>For logs: <c>admin-token</c> or the signed-in person's key id.</summary>
    public string Subject { get; }

    public bool IsAdmin => TeamId is null;

    public string Role => IsAdmin ? "admin" : "lead";

    public bool Sees(string teamId) => IsAdmin || string.Equals(TeamId, teamId, StringComparison.Ordinal);

    /// <summary>
    /// The team filter a list call runs with: the requested one for an administrator; a lead's own team always
    /// (asking for another team gets nothing rather than everything).
    /// </summary>
    public string? ListFilter(string? requested) =>
        IsAdmin ? (string.IsNullOrEmpty(requested) ? null : requested)
            : string.IsNullOrEmpty(requested) || Sees(requested) ? TeamId : NoTeam;

    /// <summary>A team id no team has (ids are generated), so a lead asking for another team's list gets an empty one.</summary>
    private const string NoTeam = "\0none";

    private static readonly object ItemKey = new();

    public static CallerScope Of(HttpContext context) =>
        context.Items.TryGetValue(ItemKey, out var scope) && scope is CallerScope caller
            ? caller
            // Fail closed: a handler reached without the auth filter must not default to full access.
            : throw new InvalidOperationException("The admin API was reached without its auth filter setting the caller's scope.");

    internal void Attach(HttpContext context) => context.Items[ItemKey] = this;
}
