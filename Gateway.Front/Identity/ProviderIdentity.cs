namespace Gateway.Front.Identity;

/// <summary>A person as a validated id_token describes them.</summary>
public sealed record ProviderIdentity(string Subject, string UserName, IReadOnlyList<string> Groups);
