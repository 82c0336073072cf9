using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gateway.FakeUpstream.Vertex;

/// <summary>
/// A stand-in for Google's OAuth token endpoint (<c>token_uri</c> of a service-account key file): takes the JWT
/// bearer grant a service account makes (<c>grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer</c>, an RS256
/// <c>assertion</c> naming the account, scope and audience), checks its signature when the account's public key is
/// configured, and issues an access token the fake's Vertex routes accept, with the configured lifetime.
/// </summary>
internal static class GoogleTokenEndpoint
{
    public const string Path = "/token";

    public const string JwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    public static async Task HandleAsync(HttpContext ctx, FakeUpstreamState state)
    {
        if (!ctx.Request.HasFormContentType)
        {
            await WriteErrorAsync(ctx, "invalid_request", "form body required");
            return;
        }
        var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
        if (form["grant_type"] != JwtBearerGrant)
        {
            await WriteErrorAsync(ctx, "unsupported_grant_type", "Invalid grant_type: " + form["grant_type"]);
            return;
        }
        var assertion = (string?)form["assertion"] ?? "";
        var parts = assertion.Split('.');
        if (parts.Length != 3 || !TryClaims(parts[1], out var claims) || claims.Scope is null || claims.Issuer is null)
        {
            await WriteErrorAsync(ctx, "invalid_grant", "Invalid JWT: malformed assertion or missing iss/scope.");
            return;
        }
        if (state.Options.GoogleServiceAccountPublicKeyPem is { } pem && !SignatureHolds(parts, pem))
        {
            await WriteErrorAsync(ctx, "invalid_grant", "Invalid JWT Signature.");
            return;
        }
        var token = "ya29.fake-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        state.IssueGoogleToken(token);
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("access_token"u8, token);
            json.WriteNumber("expires_in"u8, state.Options.GoogleTokenLifetimeSeconds);
            json.WriteString("token_type"u8, "Bearer"u8);
            json.WriteEndObject();
        }
        await JsonResponse.WriteAsync(ctx, 200, buffer.WrittenMemory);
    }

    private static bool SignatureHolds(string[] parts, string pem)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        return TryBase64Url(parts[2], out var signature)
            && rsa.VerifyData(signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private static bool TryClaims(string payload, out (string? Issuer, string? Scope) claims)
    {
        claims = default;
        if (!TryBase64Url(payload, out var bytes))
        {
            return false;
        }
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            claims = (root.TryGetProperty("iss", out var iss) ? iss.GetString() : null,
                root.TryGetProperty("scope", out var scope) ? scope.GetString() : null);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryBase64Url(string text, out byte[] bytes)
    {
        try
        {
            bytes = Base64UrlDecode(text);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }

    private static byte[] Base64UrlDecode(string text) => System.Buffers.Text.Base64Url.DecodeFromChars(text);

    private static async Task WriteErrorAsync(HttpContext ctx, string error, string description)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["error"] = error, ["error_description"] = description });
        await JsonResponse.WriteAsync(ctx, 400, body);
    }
}
