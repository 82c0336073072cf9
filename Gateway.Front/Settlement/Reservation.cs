namespace Gateway.Front.Settlement;

/// <summary>What admission took from the key's buckets for one request, to be trued up at settlement.</summary>
public readonly record struct Reservation(string KeyId, long InputTokens, long OutputTokens);
