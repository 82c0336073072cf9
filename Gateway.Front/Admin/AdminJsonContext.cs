using System.Text.Json.Serialization;

namespace Gateway.Front.Admin;

/// <summary>Source-generated JSON for admin responses, snake_case like the Anthropic API.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(TeamResponse))]
[JsonSerializable(typeof(KeyResponse))]
[JsonSerializable(typeof(KeyUsageResponse))]
[JsonSerializable(typeof(ListResponse<TeamResponse>))]
[JsonSerializable(typeof(ListResponse<KeyResponse>))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
