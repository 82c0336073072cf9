namespace Gateway.Bench;

/// <summary>One system measured: where it listens and which key its clients send.</summary>
internal sealed record Target(string Name, Uri Address, string ApiKey);
