using Gateway.Front.Identity;

namespace Gateway.Tests.Identity;

public sealed class GroupTeamMappingTests
{
    private static readonly IdentityIssuerOptions Issuer = new()
    {
        Name = "corp",
        Teams = { ["platform-eng"] = "platform", ["data"] = "team_0123456789ab", ["zz-all"] = "everyone" },
        AdminGroups = ["gateway-admins"],
        LeadGroups = { ["platform-leads"] = "platform", ["data-leads"] = "team_0123456789ab" },
    };

    [Fact]
    public void A_person_in_several_mapped_groups_joins_the_team_of_the_first_group_in_ordinal_order()
    {
        Assert.Equal("team_0123456789ab", GroupTeamMapping.TeamFor(Issuer, ["zz-all", "platform-eng", "data"]));
        Assert.Equal("platform", GroupTeamMapping.TeamFor(Issuer, ["zz-all", "platform-eng"]));
    }

    [Fact]
    public void A_person_in_no_mapped_group_has_no_team_and_group_names_match_exactly()
    {
        Assert.Null(GroupTeamMapping.TeamFor(Issuer, []));
        Assert.Null(GroupTeamMapping.TeamFor(Issuer, ["contractors", "Platform-Eng", "data "]));
    }

    [Fact]
    public void Admin_groups_make_an_administrator()
    {
        Assert.True(GroupTeamMapping.IsAdmin(Issuer, ["data", "gateway-admins"]));
        Assert.False(GroupTeamMapping.IsAdmin(Issuer, ["data"]));
    }

    [Fact]
    public void Lead_groups_name_the_team_a_person_leads_in_the_console_first_in_ordinal_order()
    {
        Assert.Equal("platform", GroupTeamMapping.LeadTeamFor(Issuer, ["platform-eng", "platform-leads"]));
        Assert.Equal("team_0123456789ab", GroupTeamMapping.LeadTeamFor(Issuer, ["platform-leads", "data-leads"]));
        // Membership of a team's group is not leadership of it.
        Assert.Null(GroupTeamMapping.LeadTeamFor(Issuer, ["platform-eng", "Platform-Leads"]));
    }
}
