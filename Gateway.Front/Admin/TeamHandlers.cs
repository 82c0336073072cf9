using Gateway.Grains.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Front.Admin;

/// <summary><c>/admin/teams</c>: create, list, read, update.</summary>
internal static class TeamHandlers
{
    public static async Task<IResult> CreateAsync(HttpContext context, [FromServices] IKeyStore store, [FromServices] ILoggerFactory loggers)
    {
        var (input, error) = await AdminRequests.ReadAsync<TeamInput>(context, AdminRequests.ParseTeam, create: true);
        if (input is null)
        {
            return error!;
        }

        TeamRecord team;
        try
        {
            team = await store.CreateTeamAsync(new NewTeam(input.Name.Value!.Trim(), input.BillingTag.Value), context.RequestAborted);
        }
        catch (KeyStoreException e) when (e.Error == KeyStoreError.DuplicateTeamName)
        {
            return AdminResults.Conflict(e.Message);
        }
        AdminLog.Changed(loggers.CreateLogger(AdminLog.Category), "created team", team.TeamId);
        context.Response.Headers.Location = $"{AdminEndpoints.Prefix}/teams/{team.TeamId}";
        return AdminResults.Json(TeamResponse.From(team), AdminJsonContext.Default.TeamResponse, StatusCodes.Status201Created);
    }

    public static async Task<IResult> ListAsync(HttpContext context, [FromServices] IKeyStore store, CancellationToken cancellationToken)
    {
        var scope = CallerScope.Of(context);
        var teams = (await store.ListTeamsAsync(cancellationToken)).Where(t => scope.Sees(t.TeamId));
        return AdminResults.Json(new ListResponse<TeamResponse>(teams.Select(TeamResponse.From).ToList()),
            AdminJsonContext.Default.ListResponseTeamResponse);
    }

    public static async Task<IResult> GetAsync(string id, HttpContext context, [FromServices] IKeyStore store, CancellationToken cancellationToken)
    {
        var team = CallerScope.Of(context).Sees(id) ? (await store.ListTeamsAsync(cancellationToken)).FirstOrDefault(t => t.TeamId == id) : null;
        return team is null
            ? NoSuchTeam(id)
            : AdminResults.Json(TeamResponse.From(team), AdminJsonContext.Default.TeamResponse);
    }

    /// <summary>A changed billing tag changes the effective tag of the team's keys, so their caches hear of it.</summary>
    public static async Task<IResult> UpdateAsync(string id, HttpContext context, [FromServices] IKeyStore store,
        [FromServices] KeyChangePublisher changes, [FromServices] ILoggerFactory loggers)
    {
        var (input, error) = await AdminRequests.ReadAsync<TeamInput>(context, AdminRequests.ParseTeam, create: false);
        if (input is null)
        {
            return error!;
        }

        var update = new TeamUpdate(
            input.Name.IsSet ? input.Name.Value!.Trim() : null,
            input.BillingTag.IsSet ? input.BillingTag.Value ?? "" : null);
        TeamRecord? team;
        try
        {
            team = await store.UpdateTeamAsync(id, update, context.RequestAborted);
        }
        catch (KeyStoreException e) when (e.Error == KeyStoreError.DuplicateTeamName)
        {
            return AdminResults.Conflict(e.Message);
        }
        if (team is null)
        {
            return NoSuchTeam(id);
        }
        AdminLog.Changed(loggers.CreateLogger(AdminLog.Category), "updated team", id);

        if (input.BillingTag.IsSet)
        {
            var keys = await store.ListKeysAsync(id, context.RequestAborted);
            await Task.WhenAll(keys.Where(k => !k.Key.Revoked)
                .Select(k => changes.PublishAsync(context, k.Key.KeyId, k.SecretHash)));
        }
        return AdminResults.Json(TeamResponse.From(team), AdminJsonContext.Default.TeamResponse);
    }

    private static IResult NoSuchTeam(string id) => AdminResults.NotFound($"No team with id '{id}'.");
}
