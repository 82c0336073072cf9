using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;

namespace Gateway.Tests.Storage;

/// <summary>
/// What every <see cref="IUserStore"/> must do (user keys, migration 0010): <see cref="PostgresUserStoreTests"/>
/// and <see cref="InMemoryUserStoreTests"/> run the same tests. Each test signs in its own people.
/// </summary>
public abstract class UserStoreContract
{
    protected abstract IKeyStore Keys { get; }
    protected abstract IUserStore Users { get; }

    private static readonly KeyLimits TeamPolicy = new() { RequestsPerMinute = 60, DailyBudgetUsd = 5m };

    [Fact]
    public async Task A_first_sign_in_makes_a_user_key_found_by_its_lookup_hash_and_by_no_secret()
    {
        var team = await TeamAsync();
        var subject = Unique("sub");
        var user = await Users.UpsertUserAsync(SignIn(subject, team.TeamId, TeamPolicy));

        Assert.Equal(UserKeys.IdFor("corp", subject), user.Key.Key.KeyId);
        Assert.Matches("^usr_[0-9a-f]{24}$", user.Key.Key.KeyId);
        Assert.Equal(UserKeys.UserKind, user.Key.Kind);
        Assert.Equal(team.TeamId, user.Key.Key.TeamId);
        Assert.Equal("cc-users", user.Key.Key.BillingTag);
        Assert.Equal(TeamPolicy, user.Key.Key.Limits);
        Assert.Equal($"{subject}@example.com", user.UserName);
        Assert.Equal($"{subject}@example.com", user.Key.Key.Name);
        Assert.Equal(UserKeys.DisplayPrefix, user.Key.SecretPrefix);
        Assert.False(user.LimitsOverridden);
        Assert.NotNull(user.LastSeenAt);
        Assert.Matches("^[0-9a-f]{64}$", user.Key.SecretHash);
        Assert.Equal(user.Key.Key.KeyId, (await Keys.FindByHashAsync(user.Key.SecretHash))?.KeyId);
        Assert.Equal(UserKeys.UserKind, (await Keys.GetKeyAsync(user.Key.Key.KeyId))!.Kind);
    }

    [Fact]
    public async Task A_later_sign_in_moves_team_and_policy_but_keeps_the_key_and_its_hash()
    {
        var first = await TeamAsync();
        var second = await TeamAsync();
        var subject = Unique("sub");
        var before = await Users.UpsertUserAsync(SignIn(subject, first.TeamId, TeamPolicy));
        var newPolicy = new KeyLimits { RequestsPerMinute = 120 };

        var after = await Users.UpsertUserAsync(SignIn(subject, second.TeamId, newPolicy));

        Assert.Equal(before.Key.Key.KeyId, after.Key.Key.KeyId);
        Assert.Equal(before.Key.SecretHash, after.Key.SecretHash);
        Assert.Equal(second.TeamId, after.Key.Key.TeamId);
        Assert.Equal(newPolicy, after.Key.Key.Limits);
        Assert.True(after.LastSeenAt >= before.LastSeenAt);
    }

    [Fact]
    public async Task Limits_an_administrator_set_outlive_the_teams_policy_at_the_next_sign_in()
    {
        var team = await TeamAsync();
        var subject = Unique("sub");
        var user = await Users.UpsertUserAsync(SignIn(subject, team.TeamId, TeamPolicy));
        var admins = new KeyLimits { RequestsPerMinute = 7, MonthlyBudgetUsd = 1m };
        await Keys.UpdateKeyAsync(user.Key.Key.KeyId, new KeyUpdate { Limits = admins });

        var again = await Users.UpsertUserAsync(SignIn(subject, team.TeamId, new KeyLimits { RequestsPerMinute = 999 }));

        Assert.Equal(admins, again.Key.Key.Limits);
        Assert.True(again.LimitsOverridden);
    }

    [Fact]
    public async Task A_revoked_user_stays_revoked_when_signing_in_again()
    {
        var team = await TeamAsync();
        var subject = Unique("sub");
        var user = await Users.UpsertUserAsync(SignIn(subject, team.TeamId, TeamPolicy));
        Assert.Equal(user.Key.SecretHash, await Keys.RevokeKeyAsync(user.Key.Key.KeyId));

        var again = await Users.UpsertUserAsync(SignIn(subject, team.TeamId, TeamPolicy));

        Assert.True(again.Key.Key.Revoked);
        Assert.NotNull(again.Key.RevokedAt);
    }

    [Fact]
    public async Task Users_are_listed_by_team_and_plain_keys_are_not_users()
    {
        var team = await TeamAsync();
        var other = await TeamAsync();
        var plain = await Keys.CreateKeyAsync(new NewKey { TeamId = team.TeamId, Name = "ci" }, KeySecrets.Hash(KeySecrets.Generate()), "sk-gw-x");
        var a = await Users.UpsertUserAsync(SignIn(Unique("a"), team.TeamId, TeamPolicy));
        var b = await Users.UpsertUserAsync(SignIn(Unique("b"), other.TeamId, TeamPolicy));

        var inTeam = await Users.ListUsersAsync(team.TeamId);
        Assert.Equal([a.Key.Key.KeyId], inTeam.Select(u => u.Key.Key.KeyId));
        var all = (await Users.ListUsersAsync(null)).Select(u => u.Key.Key.KeyId).ToList();
        Assert.Contains(a.Key.Key.KeyId, all);
        Assert.Contains(b.Key.Key.KeyId, all);
        Assert.DoesNotContain(plain.KeyId, all);
        Assert.Equal(UserKeys.KeyKind, (await Keys.GetKeyAsync(plain.KeyId))!.Kind);
    }

    [Fact]
    public async Task A_sign_in_to_a_team_that_does_not_exist_is_refused()
    {
        var error = await Assert.ThrowsAsync<KeyStoreException>(() => Users.UpsertUserAsync(SignIn(Unique("sub"), "team_000000000000", TeamPolicy)));
        Assert.Equal(KeyStoreError.UnknownTeam, error.Error);
    }

    private Task<TeamRecord> TeamAsync() => Keys.CreateTeamAsync(new NewTeam(Unique("team"), "cc-users"));

    private static UserSignIn SignIn(string subject, string teamId, KeyLimits limits) => new()
    {
        Issuer = "corp",
        Subject = subject,
        UserName = $"{subject}@example.com",
        TeamId = teamId,
        Limits = limits,
    };

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];
}
