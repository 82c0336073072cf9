using Google.Apis.Auth.OAuth2;

namespace Gateway.Front.Clouds;

/// <summary>
/// Google access tokens for one Vertex provider, from Google.Apis.Auth: a credential file
/// (<c>CredentialsFile</c>: a service-account key, or an external-account file for workload identity federation)
/// or Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, GKE workload identity through the metadata
/// server, gcloud's user credentials). The library caches the token and fetches a new one ahead of its expiry
/// (its refresh window), so a request waits on the token endpoint only for the first token. A credential that
/// cannot be loaded is tried again on the next request rather than remembered as broken.
/// </summary>
public sealed class GoogleAccessTokens(string? credentialsFile) : IDisposable
{
    /// <summary>Vertex AI takes the cloud-platform scope.</summary>
    public const string Scope = "https://www.googleapis.com/auth/cloud-platform";

    private readonly SemaphoreSlim _loading = new(1, 1);
    private ITokenAccess? _credential;

    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        var credential = _credential ?? await LoadAsync(cancellationToken);
        return await credential.GetAccessTokenForRequestAsync(cancellationToken: cancellationToken);
    }

    private async Task<ITokenAccess> LoadAsync(CancellationToken cancellationToken)
    {
        await _loading.WaitAsync(cancellationToken);
        try
        {
            if (_credential is { } loaded)
            {
                return loaded;
            }
            var google = string.IsNullOrWhiteSpace(credentialsFile)
                ? await GoogleCredential.GetApplicationDefaultAsync(cancellationToken)
                : await LoadFileAsync(credentialsFile, cancellationToken);
            _credential = google.CreateScoped(Scope);
            return _credential;
        }
        finally
        {
            _loading.Release();
        }
    }

    public void Dispose() => _loading.Dispose();

    /// <summary>The file's own <c>type</c> picks the credential kind, as the operator configured it (never a client).</summary>
    private static async Task<GoogleCredential> LoadFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        using var document = await System.Text.Json.JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        var type = document.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
        return (await CredentialFactory.FromFileAsync(path, type ?? JsonCredentialParameters.ServiceAccountCredentialType, cancellationToken));
    }
}
