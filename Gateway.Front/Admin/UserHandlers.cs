using System.Text.Json.Serialization;
using Gateway.Front.SelfService;
using Gateway.Grains.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Front.Admin;

/// <summary>
/// <c>GET /admin/users</c>: the people who signed in (user keys), with team, limits and last sign-in. A user
/// is a key: change their limits with <c>PATCH /admin/keys/{id}</c> (sign-ins then keep them), revoke with
/// <c>POST /admin/keys/{id}/revoke</c>.
/// </summary>
internal static class UserHandlers
{
    public static async Task<IResult> ListAsync([FromQuery(Name = "team_id")] string? teamId, HttpContext context, [FromServices] IUserStore users,
        CancellationToken cancellationToken)
    {
        var list = CallerScope.Of(context).TryListFilter(teamId, out var team) ? await users.ListUsersAsync(team, cancellationToken) : [];
        return AdminResults.Json(new ListResponse<UserResponse>(list.Select(UserResponse.From).ToList()),
            UserJsonContext.Default.ListResponseUserResponse);
    }
}

/// <summary>A signed-in person as the admin API shows them.</summary>
internal sealed record UserResponse
{
    public string Type { get; } = "user";
    public required string Id { get; init; }
    public required string TeamId { get; init; }
    public required string Name { get; init; }
    public required string Issuer { get; init; }
    public required string Subject { get; init; }

    /// <summary><c>active</c> or <c>revoked</c>.</summary>
    public required string Status { get; init; }
    public required LimitsResponse Limits { get; init; }

    /// <summary>True once an administrator set this user's limits: sign-ins no longer apply the team's per-user policy.</summary>
    public bool LimitsOverridden { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastSeenAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }

    public static UserResponse From(UserRecord user) => new()
    {
        Id = user.Key.Key.KeyId,
        TeamId = user.Key.Key.TeamId,
        Name = user.UserName,
        Issuer = user.Issuer,
        Subject = user.Subject,
        Status = user.Key.Key.Revoked ? "revoked" : "active",
        Limits = LimitsResponse.From(user.Key.Key.Limits),
        LimitsOverridden = user.LimitsOverridden,
        CreatedAt = user.Key.CreatedAt,
        LastSeenAt = user.LastSeenAt,
        RevokedAt = user.Key.RevokedAt,
    };
}

/// <summary>Source-generated JSON for <see cref="UserResponse"/> (its own context: the shared one stays untouched).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ListResponse<UserResponse>))]
internal sealed partial class UserJsonContext : JsonSerializerContext;
