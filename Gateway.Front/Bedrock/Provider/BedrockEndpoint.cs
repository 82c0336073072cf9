using System.Collections.Frozen;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.Runtime.Signing;

namespace Gateway.Front.Bedrock.Provider;

/// <summary>
/// Where and how one <c>bedrock</c> provider is called: its region, base URL, model table and profile prefix,
/// and its AWS credentials from the standard chain (environment variables, web identity token file for a
/// Kubernetes service account (EKS IRSA), shared profile, container and instance roles), resolved once and
/// refreshed by the SDK before they expire. Requests are signed with AWSSDK.Core's SigV4 signer.
/// </summary>
public sealed class BedrockEndpoint
{
    /// <summary>The SigV4 service name of the Bedrock runtime API.</summary>
    public const string SigningService = "bedrock";

    public const string InvokePath = "/invoke";
    public const string StreamPath = "/invoke-with-response-stream";

    private readonly Lazy<AWSCredentials> _credentials;
    private readonly RegionEndpoint _region;

    /// <param name="profile">Cross-region inference profile prefix; null: the region's default; "none": base ids.</param>
    public BedrockEndpoint(string region, IReadOnlyDictionary<string, string>? models, string? profile)
    {
        Region = region;
        _region = RegionEndpoint.GetBySystemName(region);
        Models = (models ?? new Dictionary<string, string>()).ToFrozenDictionary(StringComparer.Ordinal);
        Profile = profile is null ? BedrockModelIds.DefaultProfile(region)
            : profile.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : profile;
        // Resolved on first use, not at start-up: a front whose Bedrock route is never used needs no AWS identity.
        _credentials = new Lazy<AWSCredentials>(() => DefaultAWSCredentialsIdentityResolver.GetCredentials(), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Region { get; }

    public FrozenDictionary<string, string> Models { get; }

    public string? Profile { get; }

    /// <summary>The default base URL of the Bedrock runtime API in a region.</summary>
    public static string DefaultBaseUrl(string region) => $"https://bedrock-runtime.{region}.amazonaws.com";

    /// <summary>The Bedrock id for a model name, or null when the provider cannot serve it.</summary>
    public string? ModelId(string model) => BedrockModelIds.ToBedrock(model, Models, Profile);

    /// <summary>The request path for a model id (already validated).</summary>
    public static string PathFor(string modelId, bool stream) =>
        "/model/" + BedrockModelIds.PathSegment(modelId) + (stream ? StreamPath : InvokePath);

    /// <summary>
    /// Signs a request with SigV4 over its URI, content type and body; the returned headers
    /// (<c>Authorization</c>, <c>X-Amz-Date</c>, <c>X-Amz-Content-Sha256</c>, <c>X-Amz-Security-Token</c>) go on the request.
    /// </summary>
    public async Task<IDictionary<string, string>> SignAsync(Uri uri, string contentType, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var request = new AWSSigningRequest { HttpMethod = HttpMethod.Post, RequestUri = uri };
        request.Headers["content-type"] = contentType;
        // The body's hash, computed here over the pooled bytes, so the signer need not get a copy of them.
        request.Headers["x-amz-content-sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body.Span));
        var parameters = new AWSSigV4Parameters { Credentials = _credentials.Value, Region = _region, Service = SigningService };
        var result = await AWSSigV4Signer.SignAsync(request, parameters, cancellationToken);
        return result.Headers;
    }
}
