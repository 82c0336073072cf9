using Microsoft.Extensions.Options;

namespace Gateway.Front.Upstreams;

/// <summary>Fails start-up with a message naming the configuration key that is wrong.</summary>
/// <param name="embeddedFakeServes">
/// True in a local run (a Debug build in the Development environment), where the built-in fake upstream
/// answers when none is configured; anywhere else a front without an upstream must not start.
/// </param>
public sealed class UpstreamOptionsValidator(bool embeddedFakeServes = false) : IValidateOptions<UpstreamOptions>
{
    private static readonly HashSet<string> KnownKinds = new(StringComparer.OrdinalIgnoreCase)
    {
        UpstreamProviderOptions.AnthropicKind, UpstreamProviderOptions.OpenAiKind, UpstreamProviderOptions.BedrockKind,
        UpstreamProviderOptions.VertexKind, UpstreamProviderOptions.FoundryKind,
    };

    public ValidateOptionsResult Validate(string? name, UpstreamOptions o)
    {
        var errors = new List<string>();
        var s = UpstreamOptions.Section;

        if (!string.IsNullOrWhiteSpace(o.BaseUrl)
            && (!Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            errors.Add($"{s}:BaseUrl must be an absolute http(s) URL, got '{o.BaseUrl}'.");
        }
        if (string.IsNullOrWhiteSpace(o.BaseUrl) && o.Providers.Length == 0 && !embeddedFakeServes)
        {
            errors.Add($"No upstream is configured: set {s}:BaseUrl and {s}:ApiKeys (or {s}:Providers). "
                + "Only a local run answers without one, from the built-in fake upstream: a Debug build in the Development "
                + "environment (ASPNETCORE_ENVIRONMENT=Development, which `dotnet run --project Gateway.Front` sets).");
        }
        for (var i = 0; i < o.ApiKeys.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(o.ApiKeys[i]))
            {
                errors.Add($"{s}:ApiKeys:{i} is empty.");
            }
        }
        ValidateProviders(o, errors);
        Positive(o.Pool.SyncInterval, "Pool:SyncInterval");
        Positive(o.Pool.DefaultCoolDown, "Pool:DefaultCoolDown");
        Positive(o.Pool.MaxCoolDown, "Pool:MaxCoolDown");
        Positive(o.ConnectTimeout, "ConnectTimeout");
        Positive(o.IdleTimeout, "IdleTimeout");
        Positive(o.RetryDeadline, "RetryDeadline");
        Positive(o.RetryBaseDelay, "RetryBaseDelay");
        Positive(o.RetryMaxDelay, "RetryMaxDelay");
        ValidateBreaker(o.Breaker, $"{s}:Breaker", errors);
        for (var i = 0; i < o.Providers.Length; i++)
        {
            if (o.Providers[i].Breaker is { } own)
            {
                ValidateBreaker(own.Over(o.Breaker), $"{s}:Providers:{i}:Breaker", errors);
            }
        }
        if (o.MaxRetries is < 0 or > 10)
        {
            errors.Add($"{s}:MaxRetries must be between 0 and 10, got {o.MaxRetries}.");
        }
        if (!string.IsNullOrEmpty(o.HttpVersion) && o.HttpVersion is not ("1.1" or "2" or "2.0"))
        {
            errors.Add($"{s}:HttpVersion must be empty (negotiated), 1.1 or 2, got '{o.HttpVersion}'.");
        }
        if (o.MaxConnectionsPerServer < 1)
        {
            errors.Add($"{s}:MaxConnectionsPerServer must be at least 1, got {o.MaxConnectionsPerServer}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);

        static void ValidateProviders(UpstreamOptions o, List<string> errors)
        {
            var s = UpstreamOptions.Section;
            if (o.Providers.Length == 0)
            {
                return;
            }
            if (!string.IsNullOrWhiteSpace(o.BaseUrl) || o.ApiKeys.Length > 0)
            {
                errors.Add($"{s}:Providers and {s}:BaseUrl/{s}:ApiKeys are alternatives: with providers configured, "
                    + $"move the flat settings into a provider (e.g. {s}:Providers:0:Name=anthropic) and remove {s}:BaseUrl and {s}:ApiKeys.");
            }
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < o.Providers.Length; i++)
            {
                var p = o.Providers[i];
                var at = $"{s}:Providers:{i}";
                if (string.IsNullOrWhiteSpace(p.Name) || !IsPlainName(p.Name))
                {
                    errors.Add($"{at}:Name is required: letters, digits, '.', '_' or '-', got '{p.Name}'.");
                }
                else if (!names.Add(p.Name))
                {
                    errors.Add($"{at}:Name '{p.Name}' is used by another provider.");
                }
                if (!KnownKinds.Contains(p.Kind))
                {
                    errors.Add($"{at}:Kind must be '{UpstreamProviderOptions.AnthropicKind}' (the Anthropic API or an Anthropic-compatible base URL), "
                        + $"'{UpstreamProviderOptions.OpenAiKind}' (an OpenAI-compatible Chat Completions API), '{UpstreamProviderOptions.BedrockKind}' "
                        + $"(Claude on Amazon Bedrock), '{UpstreamProviderOptions.VertexKind}' (Claude on Google Vertex AI) "
                        + $"or '{UpstreamProviderOptions.FoundryKind}' (Claude on Microsoft Foundry), got '{p.Kind}'.");
                }
                var vertex = p.Kind.Equals(UpstreamProviderOptions.VertexKind, StringComparison.OrdinalIgnoreCase);
                var bedrock = p.Kind.Equals(UpstreamProviderOptions.BedrockKind, StringComparison.OrdinalIgnoreCase);
                if (vertex)
                {
                    ValidateVertex(p, at, errors);
                }
                if (bedrock)
                {
                    BedrockOptionsValidation.Validate(p, at, errors);
                }
                else if (p.InferenceProfile is not null)
                {
                    errors.Add($"{at}:InferenceProfile applies to Kind '{UpstreamProviderOptions.BedrockKind}' only.");
                }
                // A bedrock or vertex provider without a BaseUrl calls its region's default endpoint.
                var defaultEndpoint = (bedrock || vertex) && string.IsNullOrWhiteSpace(p.BaseUrl);
                if (!defaultEndpoint && (!Uri.TryCreate(p.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
                {
                    errors.Add($"{at}:BaseUrl must be an absolute http(s) URL, got '{p.BaseUrl}'.");
                }
                var ids = new HashSet<string>(StringComparer.Ordinal);
                var secrets = new HashSet<string>(StringComparer.Ordinal);
                for (var k = 0; k < p.Keys.Length; k++)
                {
                    var key = p.Keys[k];
                    if (string.IsNullOrWhiteSpace(key.Secret))
                    {
                        errors.Add($"{at}:Keys:{k}:Secret is empty.");
                        continue;
                    }
                    if (!secrets.Add(key.Secret))
                    {
                        errors.Add($"{at}:Keys:{k}:Secret repeats another key of the provider.");
                    }
                    if (key.Id is not null && (string.IsNullOrWhiteSpace(key.Id) || !IsPlainName(key.Id)))
                    {
                        errors.Add($"{at}:Keys:{k}:Id must be letters, digits, '.', '_' or '-' (it appears in logs and the audit log), got '{key.Id}'.");
                    }
                    else if (key.Id is not null && key.Id == key.Secret)
                    {
                        errors.Add($"{at}:Keys:{k}:Id must not be the secret itself.");
                    }
                    var id = string.IsNullOrWhiteSpace(key.Id) ? UpstreamCredential.From(key.Secret).Id : key.Id;
                    if (!ids.Add(id))
                    {
                        errors.Add($"{at}:Keys:{k}:Id '{id}' is used by another key of the provider.");
                    }
                }
            }
        }

        static void ValidateBreaker(BreakerOptions b, string at, List<string> errors)
        {
            if (b.SamplingDuration <= TimeSpan.Zero)
            {
                errors.Add($"{at}:SamplingDuration must be a positive time span (e.g. 00:00:05), got {b.SamplingDuration}.");
            }
            if (b.BreakDuration <= TimeSpan.Zero)
            {
                errors.Add($"{at}:BreakDuration must be a positive time span (e.g. 00:00:05), got {b.BreakDuration}.");
            }
            if (b.FailureRatio is <= 0 or > 1)
            {
                errors.Add($"{at}:FailureRatio must be in (0, 1], got {b.FailureRatio}.");
            }
            if (b.MinimumThroughput < 2)
            {
                errors.Add($"{at}:MinimumThroughput must be at least 2, got {b.MinimumThroughput}.");
            }
        }

        // Project and region go into the URL path: only the characters Google's own ids use.
        static void ValidateVertex(UpstreamProviderOptions p, string at, List<string> errors)
        {
            if (string.IsNullOrWhiteSpace(p.ProjectId) || p.ProjectId.Length > 63 || !p.ProjectId.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.' or ':'))
            {
                errors.Add($"{at}:ProjectId is required for a vertex provider: a Google Cloud project id (lower-case letters, digits, '-'), got '{p.ProjectId}'.");
            }
            if (string.IsNullOrWhiteSpace(p.Region) || p.Region.Length > 40 || !p.Region.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                errors.Add($"{at}:Region is required for a vertex provider: a Vertex AI location such as us-east5, europe-west1 or global, got '{p.Region}'.");
            }
            if (p.Keys.Length > 0)
            {
                errors.Add($"{at}:Keys are not used by a vertex provider: it authenticates with {at}:CredentialsFile, or Application Default Credentials when that is empty.");
            }
            if (!string.IsNullOrWhiteSpace(p.CredentialsFile) && !File.Exists(p.CredentialsFile))
            {
                errors.Add($"{at}:CredentialsFile '{p.CredentialsFile}' does not exist (leave it empty for Application Default Credentials).");
            }
        }

        static bool IsPlainName(string value) => value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

        void Positive(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"{s}:{key} must be a positive time span (e.g. 00:00:05), got {value}.");
            }
        }
    }
}
