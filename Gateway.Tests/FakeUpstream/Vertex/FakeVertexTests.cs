using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.FakeUpstream.Vertex;

/// <summary>The fake Vertex AI checks what the real one checks, so a gateway that gets it wrong fails against it.</summary>
public sealed class FakeVertexTests
{
    private const string Path = "v1/projects/p-1/locations/us-east5/publishers/anthropic/models/";
    private const string Body = """{"anthropic_version":"vertex-2023-10-16","max_tokens":16,"messages":[{"role":"user","content":"Hi"}]}""";

    private static HttpClient Client(FakeUpstreamServer fake, string? token = "ya29.test")
    {
        var client = new HttpClient { BaseAddress = fake.BaseAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    [Fact]
    public async Task A_well_formed_call_is_answered_as_Anthropic_answers()
    {
        await using var fake = await FakeUpstreamServer.StartAsync();
        using var client = Client(fake);

        using var plain = await client.PostAsync(Path + "claude-sonnet-4-5@20250929:rawPredict", Json.Body(Body));
        using var stream = await client.PostAsync(Path + "claude-sonnet-4-5@20250929:streamRawPredict", Json.Body(Body.Replace("\"max_tokens\"", "\"stream\":true,\"max_tokens\"")));

        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal("claude-sonnet-4-5@20250929", Json.Parse(await plain.Content.ReadAsStringAsync()).GetProperty("model").GetString());
        Assert.Contains("event: message_stop", await stream.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(null, 401, "UNAUTHENTICATED")]
    [InlineData("ya29.wrong", 401, "UNAUTHENTICATED")]
    public async Task A_missing_or_unknown_token_gets_Googles_401(string? token, int status, string googleStatus)
    {
        await using var fake = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { VertexAccessTokens = ["ya29.good"] });
        using var client = Client(fake, token);

        using var response = await client.PostAsync(Path + "claude-sonnet-4-5:rawPredict", Json.Body(Body));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(googleStatus, Json.Parse(await response.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("claude-sonnet-4-5:rawPredict", """{"model":"claude-sonnet-4-5","anthropic_version":"vertex-2023-10-16","max_tokens":16,"messages":[]}""", "model: Extra inputs are not permitted")]
    [InlineData("claude-sonnet-4-5:rawPredict", """{"max_tokens":16,"messages":[]}""", "anthropic_version: Field required")]
    [InlineData("claude-sonnet-4-5:rawPredict", """{"anthropic_version":"bedrock-2023-05-31","max_tokens":16,"messages":[]}""", "anthropic_version: Input should be 'vertex-2023-10-16'")]
    [InlineData("claude-sonnet-4-5:streamRawPredict", Body, "streamRawPredict needs")]
    [InlineData("count-tokens:rawPredict", Body, "model: Field required")]
    public async Task A_body_of_the_wrong_shape_gets_a_400(string target, string body, string message)
    {
        await using var fake = await FakeUpstreamServer.StartAsync();
        using var client = Client(fake);

        using var response = await client.PostAsync(Path + target, Json.Body(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_unknown_method_or_model_form_is_Googles_404()
    {
        await using var fake = await FakeUpstreamServer.StartAsync();
        using var client = Client(fake);

        using var response = await client.PostAsync(Path + "claude-sonnet-4-5:generateContent", Json.Body(Body));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("NOT_FOUND", Json.Parse(await response.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Throttling_is_Googles_RESOURCE_EXHAUSTED()
    {
        await using var fake = await FakeUpstreamServer.StartAsync();
        fake.Faults.Enqueue("429", 1);
        using var client = Client(fake);

        using var response = await client.PostAsync(Path + "claude-sonnet-4-5:rawPredict", Json.Body(Body));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("RESOURCE_EXHAUSTED", Json.Parse(await response.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_token_endpoint_checks_the_assertions_signature_and_its_tokens_open_the_Vertex_routes()
    {
        using var key = RSA.Create(2048);
        using var other = RSA.Create(2048);
        await using var fake = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { GoogleServiceAccountPublicKeyPem = key.ExportSubjectPublicKeyInfoPem() });
        using var http = new HttpClient { BaseAddress = fake.BaseAddress };

        using var forged = await http.PostAsync("token", Grant(other));
        using var granted = await http.PostAsync("token", Grant(key));
        var token = Json.Parse(await granted.Content.ReadAsStringAsync()).GetProperty("access_token").GetString();
        using var client = Client(fake, token);
        using var call = await client.PostAsync(Path + "claude-sonnet-4-5:rawPredict", Json.Body(Body));
        using var stranger = await Client(fake, "ya29.not-issued").PostAsync(Path + "claude-sonnet-4-5:rawPredict", Json.Body(Body));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, stranger.StatusCode);
        Assert.Equal(1, fake.State.GoogleTokenGrants);
    }

    /// <summary>A service account's JWT bearer grant, signed with <paramref name="signer"/>.</summary>
    private static FormUrlEncodedContent Grant(RSA signer)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = B64(Encoding.UTF8.GetBytes("""{"alg":"RS256","typ":"JWT"}"""));
        var claims = B64(Encoding.UTF8.GetBytes($$"""{"iss":"gw@p-1.iam.gserviceaccount.com","scope":"https://www.googleapis.com/auth/cloud-platform","aud":"http://x/token","iat":{{now}},"exp":{{now + 3600}}}"""));
        var signature = B64(signer.SignData(Encoding.ASCII.GetBytes(header + "." + claims), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        return new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:jwt-bearer",
            ["assertion"] = $"{header}.{claims}.{signature}",
        });
    }
}
