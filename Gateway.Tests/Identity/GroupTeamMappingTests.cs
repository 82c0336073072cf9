using Gateway.Front.Identity;

namespace Gateway.Tests.Identity;

public sealed class GroupTeamMappingTests
{
    private static readonly IdentityIssuerOptions Issuer = new()
    {
        Name = "corp",
        Teams = { ["platform-eng"] = "platform", ["data"] = "team_0123456789ab", ["zz-all"] = "everyone" },
        AdminGroups = ["gateway-admins"],
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
}
