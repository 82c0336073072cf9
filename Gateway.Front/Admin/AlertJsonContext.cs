using System.Text.Json.Serialization;

namespace Gateway.Front.Admin;

/// <summary>Source-generated JSON for <c>/admin/alerts</c>, snake_case like the rest of the admin API.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AlertRuleResponse))]
[JsonSerializable(typeof(AlertRuleDeletedResponse))]
[JsonSerializable(typeof(ListResponse<AlertRuleResponse>))]
[JsonSerializable(typeof(ListResponse<AlertDeliveryResponse>))]
internal sealed partial class AlertJsonContext : JsonSerializerContext;
