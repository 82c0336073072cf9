namespace Gateway.Front.Admin;

/// <summary>The admin API (<c>/admin</c>). Section <c>Admin</c>.</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>
    /// The bearer token administrators present (<c>Authorization: Bearer …</c> or <c>x-admin-token</c>).
    /// Empty: the admin API is off and answers 404. Must not look like a virtual key (<c>sk-gw-…</c>).
    /// </summary>
    public string Token { get; set; } = "";

    /// <summary>How long an admin change waits for the cluster to acknowledge it before answering anyway.</summary>
    public TimeSpan NotifyTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
