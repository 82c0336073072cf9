namespace Gateway.Front.Console;

/// <summary>The web console under <c>/console</c> (section <c>Console</c>).</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Console";

    /// <summary>
    /// Serve the console's pages. They hold no data of their own: every number comes from the admin API, behind the
    /// admin token or an OIDC console session, so a console switched on with neither <c>Admin:Token</c> nor an
    /// identity provider shows a sign-in that nothing can pass.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a console sign-in through the identity provider lasts (the session cookie's token).</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
}
