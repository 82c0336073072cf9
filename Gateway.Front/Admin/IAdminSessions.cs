namespace Gateway.Front.Admin;

/// <summary>
/// A signed-in console session (a cookie the console's OIDC sign-in sets) as an admin API credential besides the
/// admin token. Implemented by the console; the admin API knows only this seam, so it depends on neither.
/// </summary>
public interface IAdminSessions
{
    /// <summary>True when sessions can exist (an identity provider is configured).</summary>
    bool Enabled { get; }

    /// <summary>True when the request carries a session cookie (valid or not).</summary>
    bool Present(HttpRequest request);

    /// <summary>The caller's scope from a valid, unexpired session cookie; null otherwise.</summary>
    Task<CallerScope?> ReadAsync(HttpRequest request);
}
