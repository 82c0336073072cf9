using System.Text.Json.Serialization;

namespace Gateway.Front.SelfService;

/// <summary>Source-generated JSON for the self-service answers, snake_case like the Anthropic API and the admin API.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SelfUsageResponse))]
internal sealed partial class SelfServiceJsonContext : JsonSerializerContext;
