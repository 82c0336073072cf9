using Gateway.Front.Bedrock.Provider;

namespace Gateway.Front.Upstreams;

/// <summary>The checks a <c>bedrock</c> provider's settings get at start-up, each naming its key.</summary>
internal static class BedrockOptionsValidation
{
    public static void Validate(UpstreamProviderOptions p, string at, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(p.Region) || !p.Region.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            errors.Add($"{at}:Region is required for a bedrock provider: an AWS region such as 'us-east-1', got '{p.Region}'.");
        }
        foreach (var (model, id) in p.Models)
        {
            if (!BedrockModelIds.IsValidId(id))
            {
                errors.Add($"{at}:Models:{model} must be a Bedrock model id, inference-profile id or ARN "
                    + $"(letters, digits, '.', '-', '_', ':', '/'; at most {BedrockModelIds.MaxLength}), got '{id}'.");
            }
        }
        if (p.InferenceProfile is { Length: > 0 } profile && !profile.All(c => char.IsAsciiLetterLower(c) || c == '-'))
        {
            errors.Add($"{at}:InferenceProfile must be a profile prefix such as 'us', 'eu', 'apac' or 'global', or 'none', got '{profile}'.");
        }
    }
}
