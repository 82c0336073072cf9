using Gateway.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Auth;

/// <summary>
/// Local runs without Postgres keep keys in memory; this creates one known key at start
/// (<c>Auth:LocalDevSecret</c>) so the README's <c>curl</c> and <c>claude</c> lines work at once.
/// Does nothing when keys live in Postgres or no secret is configured.
/// </summary>
internal sealed class LocalDevKeySeeder(IServiceProvider services, IOptions<AuthOptions> options, ILogger<LocalDevKeySeeder> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var secret = options.Value.LocalDevSecret;
        if (string.IsNullOrWhiteSpace(secret) || services.GetService<IKeyStore>() is not InMemoryKeyStore store)
        {
            return;
        }
        if (await store.FindByHashAsync(KeySecrets.Hash(secret), cancellationToken) is not null)
        {
            return;
        }
        var team = await store.CreateTeamAsync(new NewTeam("local", "local-dev"), cancellationToken);
        var key = await store.CreateKeyAsync(new NewKey { TeamId = team.TeamId, Name = "local development key" },
            KeySecrets.Hash(secret), secret[..Math.Min(secret.Length, KeySecrets.DisplayPrefixLength)], cancellationToken);
        AuthLog.LocalKeyCreated(logger, key.KeyId);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
