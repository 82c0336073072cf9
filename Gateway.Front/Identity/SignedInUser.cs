namespace Gateway.Front.Identity;

/// <summary>A person whose sign-in the gateway accepted: their user key and what the tokens carry.</summary>
public sealed record SignedInUser(string KeyId, string LookupHash, string UserName, string TeamId, string IssuerName, bool Admin);
