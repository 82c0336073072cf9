using Gateway.Front.Admin;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Admin;

/// <summary>The one place the admin API decides what a caller may reach.</summary>
public sealed class CallerScopeTests
{
    [Fact]
    public void An_administrator_sees_every_team_and_lists_what_they_ask_for()
    {
        var admin = CallerScope.Administrator("corp:ada");
        Assert.True(admin.IsAdmin);
        Assert.True(admin.Sees("team_a"));
        Assert.True(admin.TryListFilter(null, out var all));
        Assert.Null(all);
        Assert.True(admin.TryListFilter("team_b", out var one));
        Assert.Equal("team_b", one);
        Assert.True(CallerScope.AdminToken.IsAdmin);
    }

    [Fact]
    public void A_lead_sees_their_team_only_and_another_teams_list_is_empty()
    {
        var lead = CallerScope.Lead("team_a", "corp:lena");
        Assert.Equal("lead", lead.Role);
        Assert.True(lead.Sees("team_a"));
        Assert.False(lead.Sees("team_b"));
        Assert.False(lead.Sees("TEAM_A"));
        Assert.True(lead.TryListFilter(null, out var own));
        Assert.Equal("team_a", own);
        Assert.False(lead.TryListFilter("team_b", out _));
    }

    [Fact]
    public void A_request_without_a_scope_fails_closed()
    {
        Assert.Throws<InvalidOperationException>(() => CallerScope.Of(new DefaultHttpContext()));
    }
}
