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
    /// The team filter a list call runs with (<paramref name="filter"/>: null for every team): the requested one for an
    /// administrator; a lead's own team always. False when a lead asks for another team: the list is empty.
    /// </summary>
    public bool TryListFilter(string? requested, out string? filter)
    {
        filter = string.IsNullOrEmpty(requested) ? TeamId : requested;
        return Sees(filter ?? "") || IsAdmin;
    }

    /// <summary>
    /// Why this caller may not make a key change, or null. A key's <c>open_paths</c> opens paths nothing meters, so
    /// only an administrator sets them: a lead could otherwise spend the shared upstream keys outside every limit.
    /// </summary>
    internal string? KeyChangeRefusal(KeyInput input) =>
        !IsAdmin && input.OpenPaths.IsSet
            ? "open_paths opens paths the gateway does not meter: only an administrator may set it."
            : null;

    private static readonly object ItemKey = new();

    public static CallerScope Of(HttpContext context) =>
        context.Items.TryGetValue(ItemKey, out var scope) && scope is CallerScope caller
            ? caller
            // Fail closed: a handler reached without the auth filter must not default to full access.
            : throw new InvalidOperationException("The admin API was reached without its auth filter setting the caller's scope.");

    internal void Attach(HttpContext context) => context.Items[ItemKey] = this;
}
