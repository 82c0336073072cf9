using System.Text.Json;
using Gateway.Front.SelfService;
using Gateway.Grains.Abstractions;

namespace Gateway.Tests.SelfService;

/// <summary>
/// The JSON a key reads about itself: a signed-in user (a key of kind <c>user</c>, id <c>usr_…</c>, as the identity
/// part stores people) is told it is a user; the figures are the standing's, in snake_case.
/// </summary>
public sealed class SelfUsageResponseTests
{
    [Theory]
    [InlineData("usr_3f9a1c", "user")]
    [InlineData("key_8c2e4f6a0b1d", "key")]
    public void Kind_follows_the_id(string id, string kind)
    {
        var standing = new KeyStanding
        {
            Key = new KeyDescriptor { KeyId = id, TeamId = "team_1", Name = "ada@example.com", Limits = new KeyLimits { DailyBudgetUsd = 10m } },
            SpentTodayUsd = 2.5m,
            Requests = new BucketLevel(60, 41, DateTimeOffset.UnixEpoch),
            ReadAt = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero),
        };
        var json = JsonSerializer.Serialize(SelfUsageResponse.From(standing), SelfServiceJsonContext.Default.SelfUsageResponse);
        var root = JsonDocument.Parse(json).RootElement;
        Assert.Equal(("gateway_usage", id, kind), (root.GetProperty("type").GetString(), root.GetProperty("id").GetString(), root.GetProperty("kind").GetString()));
        Assert.Equal(7.5m, root.GetProperty("daily_budget_left_usd").GetDecimal());
        Assert.Equal(41, root.GetProperty("requests_per_minute").GetProperty("remaining").GetInt64());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("monthly_budget_left_usd").ValueKind);
        Assert.Equal(new DateTimeOffset(2026, 12, 8, 0, 0, 0, TimeSpan.Zero), root.GetProperty("day_resets_at").GetDateTimeOffset());
    }
}
