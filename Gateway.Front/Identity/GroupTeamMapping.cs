namespace Gateway.Front.Identity;

/// <summary>Groups → team and admin flag, as one issuer's options say.</summary>
public static class GroupTeamMapping
{
    /// <summary>
    /// The team (name or id, as configured) of the first mapped group the person is in, in ordinal order of
    /// group names (configuration keys carry no order of their own); null when none is mapped.
    /// </summary>
    public static string? TeamFor(IdentityIssuerOptions issuer, IReadOnlyList<string> groups) => FirstMapped(issuer.Teams, groups);

    /// <summary>The team (name or id) the person leads in the console through <see cref="IdentityIssuerOptions.LeadGroups"/>; null when none.</summary>
    public static string? LeadTeamFor(IdentityIssuerOptions issuer, IReadOnlyList<string> groups) => FirstMapped(issuer.LeadGroups, groups);

    private static string? FirstMapped(Dictionary<string, string> map, IReadOnlyList<string> groups)
    {
        var member = new HashSet<string>(groups, StringComparer.Ordinal);
        foreach (var group in map.Keys.Order(StringComparer.Ordinal))
        {
            if (member.Contains(group))
            {
                return map[group];
            }
        }
        return null;
    }

    public static bool IsAdmin(IdentityIssuerOptions issuer, IReadOnlyList<string> groups) =>
        issuer.AdminGroups.Length > 0 && groups.Any(g => issuer.AdminGroups.Contains(g, StringComparer.Ordinal));
}
