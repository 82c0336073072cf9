using System.Security.Cryptography;
using System.Text.Json;
using Gateway.FakeUpstream;

namespace Gateway.Tests.Clouds;

/// <summary>
/// A fake Vertex AI (Gateway.FakeUpstream's Vertex routes) and a service-account key file whose <c>token_uri</c> is
/// the fake's Google token endpoint, so the gateway's real Google.Apis.Auth flow (JWT grant, signature checked
/// against the key's public half) runs on loopback.
/// </summary>
internal sealed class VertexFixture : IAsyncDisposable
{
    public const string Project = "test-project";
    public const string Region = "us-east5";

    private VertexFixture(FakeUpstreamServer fake, string keyFile)
    {
        Fake = fake;
        KeyFile = keyFile;
    }

    public FakeUpstreamServer Fake { get; }

    public string KeyFile { get; }

    public static async Task<VertexFixture> StartAsync(FakeUpstreamOptions? options = null)
    {
        using var rsa = RSA.Create(2048);
        options ??= new FakeUpstreamOptions();
        options.GoogleServiceAccountPublicKeyPem = rsa.ExportSubjectPublicKeyInfoPem();
        var fake = await FakeUpstreamServer.StartAsync(options);
        var keyFile = Path.Combine(Path.GetTempPath(), "gw-vertex-key-" + Guid.NewGuid().ToString("N")[..8] + ".json");
        await File.WriteAllTextAsync(keyFile, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["project_id"] = Project,
            ["private_key_id"] = "test-key-1",
            ["private_key"] = rsa.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = "gateway@test-project.iam.gserviceaccount.com",
            ["client_id"] = "1234567890",
            ["token_uri"] = new Uri(fake.BaseAddress, "token").ToString(),
        }));
        return new VertexFixture(fake, keyFile);
    }

    /// <summary>Settings for a vertex provider at <c>Upstream:Providers:{index}</c>, pointed at the fake.</summary>
    public Dictionary<string, string?> Provider(int index, string name = "vertex")
    {
        var at = $"Upstream:Providers:{index}";
        return new Dictionary<string, string?>
        {
            [$"{at}:Name"] = name,
            [$"{at}:Kind"] = "vertex",
            [$"{at}:BaseUrl"] = Fake.BaseAddress.ToString(),
            [$"{at}:ProjectId"] = Project,
            [$"{at}:Region"] = Region,
            [$"{at}:CredentialsFile"] = KeyFile,
        };
    }

    public static string PredictPath(string model, string method) =>
        $"/v1/projects/{Project}/locations/{Region}/publishers/anthropic/models/{model}:{method}";

    public async ValueTask DisposeAsync()
    {
        await Fake.DisposeAsync();
        File.Delete(KeyFile);
    }
}
