using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;

namespace Gateway.Tests.Storage;

/// <summary>
/// What every <see cref="IKeyStore"/> must do, written once: <see cref="PostgresKeyStoreTests"/> and
/// <see cref="InMemoryKeyStoreTests"/> run the same tests. Stores may be shared by a class's tests,
/// so each test makes its own uniquely named teams.
/// </summary>
public abstract class KeyStoreContract
{
    protected abstract IKeyStore Store { get; }

    private static readonly KeyLimits FullLimits = new()
    {
        RequestsPerMinute = 600,
        InputTokensPerMinute = 2_000_000,
        OutputTokensPerMinute = 400_000,
        ConcurrentStreams = 12,
        DailyBudgetUsd = 125.5m,
        MonthlyBudgetUsd = 2500.12345678m,
    };

    [Fact]
    public async Task A_new_team_has_a_readable_id_and_is_listed()
    {
        var name = Unique("platform");
        var team = await Store.CreateTeamAsync(new NewTeam(name, "cc-1234"));

        Assert.Matches("^team_[0-9a-f]{12}$", team.TeamId);
        Assert.Equal(name, team.Name);
        Assert.Equal("cc-1234", team.BillingTag);
        Assert.InRange(team.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Contains(await Store.ListTeamsAsync(), t => t == team);
    }

    [Fact]
    public async Task Team_names_are_unique()
    {
        var name = Unique("dup");
        await Store.CreateTeamAsync(new NewTeam(name, null));

        var e = await Assert.ThrowsAsync<KeyStoreException>(() => Store.CreateTeamAsync(new NewTeam(name, "x")));
        Assert.Equal(KeyStoreError.DuplicateTeamName, e.Error);

        var other = await Store.CreateTeamAsync(new NewTeam(Unique("other"), null));
        e = await Assert.ThrowsAsync<KeyStoreException>(() => Store.UpdateTeamAsync(other.TeamId, new TeamUpdate(name, null)));
        Assert.Equal(KeyStoreError.DuplicateTeamName, e.Error);
    }

    [Fact]
    public async Task A_team_update_changes_only_what_it_names()
    {
        var team = await Store.CreateTeamAsync(new NewTeam(Unique("before"), "tag-1"));

        var renamed = await Store.UpdateTeamAsync(team.TeamId, new TeamUpdate(Unique("after"), null));
        Assert.NotNull(renamed);
        Assert.Equal("tag-1", renamed.BillingTag);
        Assert.Equal(team.CreatedAt, renamed.CreatedAt);

        var retagged = await Store.UpdateTeamAsync(team.TeamId, new TeamUpdate(null, "tag-2"));
        Assert.Equal((renamed.Name, "tag-2"), (retagged!.Name, retagged.BillingTag));

        var cleared = await Store.UpdateTeamAsync(team.TeamId, new TeamUpdate(null, ""));
        Assert.Null(cleared!.BillingTag);

        Assert.Null(await Store.UpdateTeamAsync("team_000000000000", new TeamUpdate("x", null)));
    }

    [Fact]
    public async Task A_key_round_trips_every_field_and_is_found_by_hash_and_id()
    {
        var team = await Store.CreateTeamAsync(new NewTeam(Unique("keys"), "team-tag"));
        var (hash, prefix) = NewSecret();
        var created = await Store.CreateKeyAsync(new NewKey
        {
            TeamId = team.TeamId,
            Name = "ci runner",
            BillingTag = "key-tag",
            AllowedModels = ["claude-sonnet-*", "claude-haiku-4-5"],
            Limits = FullLimits,
            SessionLimits = new SessionLimits { MaxRequests = 200, MaxCostUsd = 4.25m },
            CacheInjection = false,
            CacheTtl = "1h",
        }, hash, prefix);

        Assert.Matches("^key_[0-9a-f]{12}$", created.KeyId);
        AssertKey(created, team.TeamId, "ci runner", "key-tag", ["claude-sonnet-*", "claude-haiku-4-5"], FullLimits,
            new SessionLimits { MaxRequests = 200, MaxCostUsd = 4.25m }, revoked: false);
        Assert.Equal((false, "1h"), (created.CacheInjection, created.CacheTtl));
        AssertSameKey(created, await Store.FindByHashAsync(hash));
        AssertSameKey(created, await Store.FindByIdAsync(created.KeyId));

        var record = await Store.GetKeyAsync(created.KeyId);
        Assert.NotNull(record);
        AssertSameKey(created, record.Key);
        Assert.Equal(prefix, record.SecretPrefix);
        Assert.Equal(hash, record.SecretHash);
        Assert.Null(record.RevokedAt);
        Assert.Null(record.RotatedAt);
        Assert.InRange(record.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task A_key_with_defaults_is_unlimited_and_allows_every_model()
    {
        var team = await Store.CreateTeamAsync(new NewTeam(Unique("defaults"), null));
        var (hash, prefix) = NewSecret();
        var key = await Store.CreateKeyAsync(new NewKey { TeamId = team.TeamId, Name = "plain" }, hash, prefix);

        AssertKey(key, team.TeamId, "plain", null, [], KeyLimits.Unlimited, null, revoked: false);
        Assert.Null(key.CacheInjection); // the gateway's default
        Assert.Null(key.CacheTtl);
        AssertSameKey(key, await Store.FindByHashAsync(hash));
    }

    [Fact]
    public async Task The_cache_injection_switch_and_ttl_are_set_kept_and_reset_to_the_default()
    {
        var team = await Store.CreateTeamAsync(new NewTeam(Unique("cache"), null));
        var key = await CreateKeyAsync(team.TeamId, "cache");

        var off = await Store.UpdateKeyAsync(key.KeyId, new KeyUpdate { CacheInjection = false, CacheTtl = "5m" });
        Assert.Equal((false, "5m"), (off!.Key.CacheInjection, off.Key.CacheTtl));

        // An update that names neither leaves both.
        var renamed = await Store.UpdateKeyAsync(key.KeyId, new KeyUpdate { Name = "renamed" });
        Assert.Equal((false, "5m"), (renamed!.Key.CacheInjection, renamed.Key.CacheTtl));

        var on = await Store.UpdateKeyAsync(key.KeyId, new KeyUpdate { CacheInjection = true, CacheTtl = "1h" });
        Assert.Equal((true, "1h"), (on!.Key.CacheInjection, on.Key.CacheTtl));
        AssertSameKey(on.Key, await Store.FindByIdAsync(key.KeyId));

        // Reset wins over a value given with it; an empty TTL clears it.
        var reset = await Store.UpdateKeyAsync(key.KeyId, new KeyUpdate { ResetCacheInjection = true, CacheInjection = false, CacheTtl = "" });
        Assert.Equal((null, null), (reset!.Key.CacheInjection, reset.Key.CacheTtl));
        AssertSameKey(reset.Key, await Store.FindByHashAsync(reset.SecretHash));
    }

    [Fact]
    public async Task A_cache_ttl_other_than_5m_or_1h_is_refused_and_changes_nothing()
    {
        var team = await Store.CreateTeamAsync(new NewTeam(Unique("ttl"), null));
        var (hash, prefix) = NewSecret();
        await Assert.ThrowsAsync<ArgumentException>(() =>
            Store.CreateKeyAsync(new NewKey { TeamId = team.TeamId, Name = "bad", CacheTtl = "10m" }, hash, prefix));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            Store.CreateKeyAsync(new NewKey { TeamId = team.TeamId, Name = "bad", CacheTtl = "" }, hash, prefix));
        Assert.Null(await Store.FindByHashAsync(hash));

        var key = await CreateKeyAsync(team.TeamId, "good");
        await Assert.ThrowsAsync<ArgumentException>(() => Store.UpdateKeyAsync(key.KeyId, new KeyUpdate { CacheTtl = "1H" }));
        Assert.Null((await Store.FindByIdAsync(key.KeyId))!.CacheTtl);
    }

    [Fact]
    public async Task A_key_must_belong_to_an_existing_team()
    {
        var (hash, prefix) = NewSecret();
        var e = await Assert.ThrowsAsync<KeyStoreException>(() =>
            Store.CreateKeyAsync(new NewKey { TeamId = "team_ffffffffffff", Name = "orphan" }, hash, prefix));
        Assert.Equal(KeyStoreError.UnknownTeam, e.Error);
        Assert.Null(await Store.FindByHashAsync(hash));
    }

    [Fact]
    public async Task Two_keys_cannot_share_a_secret_hash()
    {
        var team = await Store.CreateTeamAsync(new NewTeam(Unique("hash"), null));
        var (hash, prefix) = NewSecret();
        await Store.CreateKeyAsync(new NewKey { TeamId = team.TeamId, Name = "one" }, hash, prefix);

        var e = await Assert.ThrowsAsync<KeyStoreException>(() =>
            Store.CreateKeyAsync(new NewKey { TeamId = team.TeamId, Name = "two" }, hash, prefix));
        Assert.Equal(KeyStoreError.DuplicateSecret, e.Error);
    }

    [Fact]
    public async Task The_billing_tag_is_the_keys_own_else_the_teams()
    {
        var team = await Store.CreateTeamAsync(new NewTeam(Unique("billing"), "team-tag"));
        var inherits = await CreateKeyAsync(team.TeamId, "inherits");
        var overrides = await CreateKeyAsync(team.TeamId, "overrides", billingTag: "own-tag");
        Assert.Equal("team-tag", inherits.BillingTag);
        Assert.Equal("own-tag", overrides.BillingTag);

        await Store.UpdateTeamAsync(team.TeamId, new TeamUpdate(null, "new-team-tag"));
        Assert.Equal("new-team-tag", (await Store.FindByIdAsync(inherits.KeyId))!.BillingTag);
        Assert.Equal("own-tag", (await Store.FindByIdAsync(overrides.KeyId))!.BillingTag);

        // Clearing the key's own tag falls back to the team's.
        var cleared = await Store.UpdateKeyAsync(overrides.KeyId, new KeyUpdate { BillingTag = "" });
        Assert.Equal("new-team-tag", cleared!.Key.BillingTag);
    }

    [Fact]
    public async Task Keys_list_by_team_in_creation_order()
    {
        var a = await Store.CreateTeamAsync(new NewTeam(Unique("list-a"), null));
        var b = await Store.CreateTeamAsync(new NewTeam(Unique("list-b"), null));
        var a1 = await CreateKeyAsync(a.TeamId, "a1");
        var b1 = await CreateKeyAsync(b.TeamId, "b1");
        var a2 = await CreateKeyAsync(a.TeamId, "a2");

        Assert.Equal([a1.KeyId, a2.KeyId], (await Store.ListKeysAsync(a.TeamId)).Select(k => k.Key.KeyId));
        Assert.Equal([b1.KeyId], (await Store.ListKeysAsync(b.TeamId)).Select(k => k.Key.KeyId));
        Assert.Empty(await Store.ListKeysAsync("team_000000000000"));

        var all = (await Store.ListKeysAsync(null)).Select(k => k.Key.KeyId).ToList();
        Assert.Contains(a1.KeyId, all);
        Assert.Contains(b1.KeyId, all);
        Assert.True(all.IndexOf(a1.KeyId) < all.IndexOf(a2.KeyId));
    }

    [Fact]
    public async Task A_key_update_changes_only_what_it_names()
    {
        var team = await Store.CreateTeamAsync(new NewTeam(Unique("update"), null));
        var (hash, prefix) = NewSecret();
        var key = await Store.CreateKeyAsync(new NewKey
        {
            TeamId = team.TeamId,
            Name = "before",
            AllowedModels = ["claude-opus-4-1"],
            Limits = FullLimits,
            SessionLimits = new SessionLimits { MaxRequests = 10 },
        }, hash, prefix);

        var renamed = await Store.UpdateKeyAsync(key.KeyId, new KeyUpdate { Name = "after" });
        AssertKey(renamed!.Key, team.TeamId, "after", null, ["claude-opus-4-1"], FullLimits, new SessionLimits { MaxRequests = 10 }, false);
        Assert.Equal(hash, renamed.SecretHash);

        var newLimits = new KeyLimits { RequestsPerMinute = 5, DailyBudgetUsd = 0.5m };
        var limited = await Store.UpdateKeyAsync(key.KeyId, new KeyUpdate
        {
            Limits = newLimits,
            AllowedModels = [],
            SessionLimits = new SessionLimits(),
            BillingTag = "ops",
        });
        AssertKey(limited!.Key, team.TeamId, "after", "ops", [], newLimits, null, false);
        AssertSameKey(limited.Key, await Store.FindByHashAsync(hash));

        Assert.Null(await Store.UpdateKeyAsync("key_000000000000", new KeyUpdate { Name = "x" }));
    }

    [Fact]
    public async Task Rotation_returns_the_old_hash_which_stops_resolving()
    {
        var team = await Store.CreateTeamAsync(new NewTeam(Unique("rotate"), null));
        var (oldHash, oldPrefix) = NewSecret();
        var key = await Store.CreateKeyAsync(new NewKey { TeamId = team.TeamId, Name = "rotating", Limits = FullLimits }, oldHash, oldPrefix);
        var (newHash, newPrefix) = NewSecret();

        Assert.Equal(oldHash, await Store.RotateKeyAsync(key.KeyId, newHash, newPrefix));

        Assert.Null(await Store.FindByHashAsync(oldHash));
        AssertSameKey(key, await Store.FindByHashAsync(newHash));
        var record = await Store.GetKeyAsync(key.KeyId);
        Assert.Equal((newPrefix, newHash), (record!.SecretPrefix, record.SecretHash));
        Assert.NotNull(record.RotatedAt);

        Assert.Null(await Store.RotateKeyAsync("key_000000000000", NewSecret().Hash, "sk-gw-xxxxxx"));
    }

    [Fact]
    public async Task Revocation_returns_the_hash_and_marks_the_key_once()
    {
        var team = await Store.CreateTeamAsync(new NewTeam(Unique("revoke"), null));
        var (hash, prefix) = NewSecret();
        var key = await Store.CreateKeyAsync(new NewKey { TeamId = team.TeamId, Name = "leaked" }, hash, prefix);

        Assert.Equal(hash, await Store.RevokeKeyAsync(key.KeyId));

        var found = await Store.FindByHashAsync(hash);
        Assert.True(found!.Revoked);
        Assert.True((await Store.FindByIdAsync(key.KeyId))!.Revoked);
        var first = (await Store.GetKeyAsync(key.KeyId))!.RevokedAt;
        Assert.NotNull(first);

        await Task.Delay(5);
        Assert.Equal(hash, await Store.RevokeKeyAsync(key.KeyId));
        Assert.Equal(first, (await Store.GetKeyAsync(key.KeyId))!.RevokedAt);

        Assert.Null(await Store.RevokeKeyAsync("key_000000000000"));
    }

    [Fact]
    public async Task Unknown_ids_and_hashes_find_nothing()
    {
        Assert.Null(await Store.FindByHashAsync(NewSecret().Hash));
        Assert.Null(await Store.FindByIdAsync("key_000000000000"));
        Assert.Null(await Store.GetKeyAsync("key_000000000000"));
    }

    private async Task<KeyDescriptor> CreateKeyAsync(string teamId, string name, string? billingTag = null)
    {
        var (hash, prefix) = NewSecret();
        return await Store.CreateKeyAsync(new NewKey { TeamId = teamId, Name = name, BillingTag = billingTag }, hash, prefix);
    }

    private static (string Hash, string Prefix) NewSecret()
    {
        var secret = KeySecrets.Generate();
        return (KeySecrets.Hash(secret), KeySecrets.DisplayPrefix(secret));
    }

    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}";

    private static void AssertKey(KeyDescriptor key, string teamId, string name, string? billingTag, string[] models,
        KeyLimits limits, SessionLimits? session, bool revoked)
    {
        Assert.Equal(teamId, key.TeamId);
        Assert.Equal(name, key.Name);
        Assert.Equal(billingTag, key.BillingTag);
        Assert.Equal(models, key.AllowedModels);
        Assert.Equal(limits, key.Limits);
        Assert.Equal(session, key.SessionLimits);
        Assert.Equal(revoked, key.Revoked);
    }

    private static void AssertSameKey(KeyDescriptor expected, KeyDescriptor? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.KeyId, actual.KeyId);
        AssertKey(actual, expected.TeamId, expected.Name, expected.BillingTag, [.. expected.AllowedModels],
            expected.Limits, expected.SessionLimits, expected.Revoked);
        Assert.Equal(expected.CacheInjection, actual.CacheInjection);
        Assert.Equal(expected.CacheTtl, actual.CacheTtl);
    }
}
